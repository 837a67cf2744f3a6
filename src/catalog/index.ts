// The catalog: catalog.yaml read and checked, its plan (the DAG of build and
// index units that engines run), the images it publishes, the local runner
// and the index join that index units do. Emitters for Argo Workflows,
// GitHub Actions and Kubernetes Jobs work from the plan alone.

export type { RegistryOptionsFor } from "./done-check.ts";
export { UNIT_KEY_ANNOTATION } from "./done-check.ts";
export { catalogImages } from "./images.ts";
export { type JoinRequest, type JoinResult, joinIndex } from "./join-index.ts";
export { loadCatalog } from "./load.ts";
export { type PlanOptions, planCatalog } from "./plan.ts";
export { formatPlan } from "./plan-json.ts";
export type { CatalogPlan, PlanUnit, UnitKind } from "./plan-types.ts";
export {
  type RunPlanOptions,
  type RunSummary,
  runPlan,
  type UnitEvent,
  type UnitOutcome,
  type UnitStatus,
} from "./run-plan.ts";
export type { Catalog, CatalogCache, CatalogImage } from "./types.ts";
export { UNIT_OUTPUT_DIR } from "./unit-args.ts";
