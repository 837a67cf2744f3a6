// Kubernetes Jobs, for clusters without Argo: one Indexed Job per level of
// the plan. A level's units need only units of lower levels, so the levels
// run one after another (the submitter applies a level's Job and waits for
// it to complete before applying the next, see docs/fleet.md) and the units
// of one level run side by side: completions is the number of units, and
// the pod's JOB_COMPLETION_INDEX picks its unit from a `case` over the
// index, each branch the unit's arguments quoted for sh. The worker image
// therefore needs /bin/sh for this engine (Argo and GitHub Actions don't).
//
// backoffLimitPerIndex 0: a failed unit fails its level's Job without
// stopping the level's other units, and the next level is never applied.
// The Job's name ends in a hash of its units' keys, so applying the same
// level again is a no-op while the finished Job exists, and a changed
// catalog makes new Jobs rather than colliding with old ones.

import { createHash } from "node:crypto";
import type { CatalogPlan, PlanUnit } from "../catalog/index.ts";
import { podWithoutExtras, shellQuote } from "../deploy/index.ts";
import type { ResolvedEmitOptions } from "./options.ts";
import { objectMeta, workerContainer, workerPodSecurityContext, workerVolumes } from "./worker-pod.ts";

type Obj = Record<string, unknown>;

/** The label that picks a level's Job out of the file: `kubectl apply -l cudaseal.dev/level=N`. */
export const LEVEL_LABEL = "cudaseal.dev/level";

/** The sh script that runs the unit whose position in the level is $JOB_COMPLETION_INDEX. */
function dispatchScript(units: PlanUnit[]): string {
  const branches = units.map((u, i) => `  ${i}) exec cudaseal ${u.args.map(shellQuote).join(" ")} ;;`);
  return [
    'case "$JOB_COMPLETION_INDEX" in',
    ...branches,
    '  *) echo "no unit for index $JOB_COMPLETION_INDEX" >&2; exit 2 ;;',
    "esac",
    "",
  ].join("\n");
}

function levelJob(level: number, units: PlanUnit[], options: ResolvedEmitOptions): Obj {
  const hash = createHash("sha256");
  for (const u of units) hash.update(`${u.id} ${u.key}\n`);
  const name = `${options.name}-l${level}-${hash.digest("hex").slice(0, 8)}`;
  const levelLabel = { [LEVEL_LABEL]: String(level) };
  const metadata = objectMeta(options, name, levelLabel);
  metadata.annotations = { "cudaseal.dev/units": units.map((u) => u.id).join(",") };
  const pod: Obj = { ...podWithoutExtras(), restartPolicy: "Never" };
  pod.securityContext = workerPodSecurityContext(options);
  pod.containers = [
    workerContainer(options, {
      name: "unit",
      command: ["/bin/sh", "-c", dispatchScript(units)],
      workingDir: options.catalogDir,
    }),
  ];
  pod.volumes = workerVolumes(options);
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata,
    spec: {
      completionMode: "Indexed",
      completions: units.length,
      parallelism: Math.min(units.length, options.parallelism ?? units.length),
      backoffLimitPerIndex: 0,
      template: { metadata: { labels: { ...(metadata.labels as Obj), ...levelLabel } }, spec: pod },
    },
  };
}

/** One Indexed Job per level, lowest level first. */
export function k8sJobDocuments(_plan: CatalogPlan, units: PlanUnit[], options: ResolvedEmitOptions): Obj[] {
  const levels = new Map<number, PlanUnit[]>();
  for (const u of units) levels.set(u.level, [...(levels.get(u.level) ?? []), u]);
  return [...levels.keys()].sort((a, b) => a - b).map((l) => levelJob(l, levels.get(l) ?? [], options));
}
