// `catalog emit`: a checked plan written as one engine's own files. Pure:
// the same plan and options give the same bytes; writing them is the CLI's.

import { stringify } from "yaml";
import type { CatalogPlan, PlanUnit } from "../catalog/index.ts";
import { CudasealError } from "../errors.ts";
import { argoDocuments } from "./argo.ts";
import { githubActionsDocuments } from "./github-actions.ts";
import { k8sJobDocuments } from "./k8s-jobs.ts";
import { type EmitOptions, type Engine, type ResolvedEmitOptions, resolveEmitOptions } from "./options.ts";
import { checkPlan, unitsToEmit } from "./plan-check.ts";

type Obj = Record<string, unknown>;

export interface EmitResult {
  engine: Engine;
  /** The objects, in the order they are applied. */
  documents: Obj[];
  /** The documents as YAML, `---` between them, with a header saying where they came from. */
  yaml: string;
  /** How many units the documents run (fewer than the plan's with skipDone). */
  units: number;
}

const WRITERS: Record<Engine, (plan: CatalogPlan, units: PlanUnit[], options: ResolvedEmitOptions) => Obj[]> =
  {
    argo: argoDocuments,
    "github-actions": githubActionsDocuments,
    "k8s-jobs": k8sJobDocuments,
  };

/** Write `plan` (checked here, as it may come from a file) for `options.engine`. */
export function emitPlan(plan: unknown, options: EmitOptions): EmitResult {
  const resolved = resolveEmitOptions(options);
  const checked = checkPlan(plan);
  const units = unitsToEmit(checked, resolved.skipDone);
  // An empty DAG, workflow or Job list is not something any engine runs.
  if (units.length === 0) {
    throw new CudasealError("USAGE", "no unit to emit: the plan holds none, or --skip-done left none", {
      hint: "every unit is done; emit without --skip-done to run them all again",
    });
  }
  const documents = WRITERS[resolved.engine](checked, units, resolved);
  const header = `# Written by cudaseal ${checked.cudaseal} (catalog emit --engine ${resolved.engine}) from ${JSON.stringify(checked.catalog)}; emit it again rather than editing it.\n`;
  const body = documents
    .map((d) => stringify(d, { lineWidth: 0, aliasDuplicateObjects: false }))
    .join("---\n");
  return { engine: resolved.engine, documents, yaml: header + body, units: units.length };
}
