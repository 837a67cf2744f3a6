// The plan as JSON text, fields in the order plan-types.ts lists them, so
// the same catalog gives the same bytes wherever it is planned (and a plan
// checked in shows a readable diff).

import type { CatalogPlan, PlanUnit } from "./plan-types.ts";

const UNIT_FIELDS: readonly (keyof PlanUnit)[] = [
  "id",
  "kind",
  "entry",
  "spec",
  "variant",
  "arch",
  "arches",
  "key",
  "needs",
  "level",
  "repository",
  "tags",
  "args",
  "done",
];

/** `plan` as indented JSON with a final newline. */
export function formatPlan(plan: CatalogPlan): string {
  const units = plan.units.map((unit) => {
    const ordered: Record<string, unknown> = {};
    for (const field of UNIT_FIELDS) if (unit[field] !== undefined) ordered[field] = unit[field];
    return ordered;
  });
  return `${JSON.stringify({ planVersion: plan.planVersion, cudaseal: plan.cudaseal, catalog: plan.catalog, units }, null, 2)}\n`;
}
