// The plan a catalog turns into: build units and the edges between them. It
// is the one contract between planning, the local runner and the emitters
// for Argo Workflows, GitHub Actions and Kubernetes Jobs, so each engine runs
// exactly the units and edges the plan holds, and nothing of its own.

/** What one unit makes: one spec × variant × arch image, or the multi-arch index over them. */
export type UnitKind = "build" | "index";

export interface PlanUnit {
  /** Stable, DNS-label safe (lowercase, digits, '-', at most 63 characters): engines use it as a task or job name. */
  id: string;
  kind: UnitKind;
  /** The catalog entry's name, as catalog.yaml gives it. */
  entry: string;
  /** The spec file (relative to the catalog) or `preset:NAME`. */
  spec: string;
  /** The variant's values, e.g. `{ cuda: "12.8" }`; empty when the entry has no variants. */
  variant: Record<string, string>;
  /** The Debian architecture a build unit makes; absent for an index unit. */
  arch?: string;
  /** The architectures an index unit joins. */
  arches?: string[];
  /** sha256 hex of everything that decides the output: spec, lock, variant, arch, cudaseal version. */
  key: string;
  /** Ids of the units that must finish first (an index needs its builds; `contents: image:` needs its producer). */
  needs: string[];
  /** 0 for units with no needs, otherwise one more than the deepest need: the k8s-jobs emitter runs a level per Job. */
  level: number;
  /** The repository the unit pushes to, without tag. */
  repository: string;
  /** The tags it pushes (a build unit's tags end in `-<arch>`). */
  tags: string[];
  /** The cudaseal arguments (after `cudaseal`) that do this unit on a worker with the catalog checked out. */
  args: string[];
  /** True when the registry already holds an output recorded under this key. */
  done: boolean;
}

export interface CatalogPlan {
  /** Bumped when the shape changes; emitters refuse a plan of another version. */
  planVersion: 1;
  /** The cudaseal version that made the plan (part of every key). */
  cudaseal: string;
  /** The catalog file, as given. */
  catalog: string;
  /** Units in a deterministic order: by level, then id. */
  units: PlanUnit[];
}
