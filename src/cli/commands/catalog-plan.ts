// `cudaseal catalog plan`: the catalog's units, their needs and keys, and
// which the registry already holds; the plan every engine and `catalog run`
// work from.

import { type CatalogPlan, formatPlan, loadCatalog, planCatalog } from "../../catalog/index.ts";
import { CudasealError } from "../../errors.ts";
import { writeOutputFile } from "../../util/atomic-file.ts";
import { type FlagValues, stringFlag } from "../command.ts";
import type { Output } from "../output.ts";
import { registryOptionsFrom } from "../registry-options.ts";
import type { Subcommand } from "./catalog.ts";

/**
 * The flags of every subcommand that plans: whether to ask the registry, and
 * how to reach it. No --username: credentials come from the environment or a
 * docker config.json, which `catalog run`'s units inherit, so the plan and
 * the builds push as one user.
 */
export const PLAN_FLAGS = {
  "registry-check": { type: "boolean" },
  offline: { type: "boolean" },
  insecure: { type: "string", multiple: true },
} as const;

export const PLAN_FLAGS_HELP = `  --registry-check        ask the registry which units are done (the default)
  --offline               ask no registry: every unit is planned as not done
  --insecure HOST         allow plain HTTP to HOST (127.0.0.1 and localhost always are)`;

/** Load the catalog and plan it, asking the registry unless --offline. */
export async function planFrom(
  path: string | undefined,
  flags: FlagValues,
): Promise<{ plan: CatalogPlan; dir: string }> {
  if (path === undefined)
    throw new CudasealError("USAGE", "name the catalog file", { hint: "cudaseal catalog plan catalog.yaml" });
  if (flags.offline === true && flags["registry-check"] === true)
    throw new CudasealError("USAGE", "--offline and --registry-check contradict each other");
  const catalog = await loadCatalog(path);
  const plan = await planCatalog(catalog, {
    registryCheck: flags.offline !== true,
    registryOptions: (registry) => registryOptionsFrom(flags, registry),
  });
  return { plan, dir: catalog.dir };
}

export const catalogPlan: Subcommand = {
  name: "plan",
  help: `cudaseal catalog plan CATALOG.yaml [-o plan.json] [--offline] [--json]
  Prints the plan: each unit's id, level, needs and whether the registry
  already holds its key (done). --json prints the plan itself, and -o writes
  it to a file; both are the same bytes for the same catalog and registry.
  -o, --output FILE       write the plan's JSON to FILE
${PLAN_FLAGS_HELP}`,
  flags: { output: { type: "string", short: "o" }, ...PLAN_FLAGS },
  async run(positionals, flags, out) {
    if (positionals.length > 1) throw new CudasealError("USAGE", "catalog plan takes one catalog file");
    const { plan } = await planFrom(positionals[0], flags);
    const text = formatPlan(plan);
    const file = stringFlag(flags, "output");
    if (file !== undefined) await writeOutputFile(file, text);
    if (out.json) process.stdout.write(text);
    else printTable(plan, out);
    return 0;
  },
};

function printTable(plan: CatalogPlan, out: Output): void {
  const width = Math.max(2, ...plan.units.map((u) => u.id.length));
  out.data(`${"ID".padEnd(width)}  LEVEL  KIND   DONE  NEEDS`);
  for (const u of plan.units)
    out.data(
      `${u.id.padEnd(width)}  ${String(u.level).padStart(5)}  ${u.kind.padEnd(5)}  ${u.done ? "yes " : "no  "}  ${u.needs.join(", ") || "-"}`,
    );
  const done = plan.units.filter((u) => u.done).length;
  out.note(`${plan.units.length} units, ${done} done, ${plan.units.length - done} to run`);
}
