// Argo Workflows: a WorkflowTemplate whose entrypoint is a DAG with one task
// per unit (`dependencies` are the unit's needs), and a CronWorkflow that
// runs it on the schedule.
//
// Each unit is a template of its own, since a container's arguments cannot
// be spread from one parameter, and each is memoized on the unit's key: a
// ConfigMap cache `<name>-memo` records the key of every unit that
// succeeded, and a later run (the next night, a resubmit after a failure)
// skips a unit whose key is there and younger than maxAge. The key is the
// hash of the unit's inputs, so a skipped unit is one whose output would be
// the same; maxAge bounds how long an unlocked spec goes without a rebuild.
//
// Pods: the workflow's pod securityContext and the worker container are
// deploy's restricted settings. The worker gets no service account token;
// Argo's own init and wait containers get the executor's (spec.executor).

import type { CatalogPlan, PlanUnit } from "../catalog/index.ts";
import { CudasealError } from "../errors.ts";
import { inCheckout } from "./catalog-dir.ts";
import type { ResolvedEmitOptions } from "./options.ts";
import { objectMeta, workerContainer, workerPodSecurityContext, workerVolumes } from "./worker-pod.ts";

type Obj = Record<string, unknown>;

const API_VERSION = "argoproj.io/v1alpha1";
const ENTRYPOINT = "catalog";
/** Where the git artifact puts the repository in the worker. */
const CHECKOUT = "/src";

/** A DAG task and template name: Argo refuses task names that start with a digit. */
function argoName(id: string): string {
  return /^[a-z]/.test(id) ? id : `u${id}`.slice(0, 63);
}

function unitTemplate(unit: PlanUnit, plan: CatalogPlan, options: ResolvedEmitOptions): Obj {
  const template: Obj = {
    name: argoName(unit.id),
    metadata: { labels: { "cudaseal.dev/unit": unit.id } },
  };
  if (options.gitRepo) {
    // No depth: to resolve a revision Argo fetches every branch, and a shallow clone may lack the commit.
    template.inputs = {
      artifacts: [
        {
          name: "catalog",
          path: CHECKOUT,
          git: { repo: options.gitRepo, revision: options.gitRevision },
        },
      ],
    };
  }
  template.memoize = {
    key: `cudaseal-${unit.key}`,
    maxAge: options.memoMaxAge,
    cache: { configMap: { name: `${options.name}-memo` } },
  };
  template.container = workerContainer(options, {
    name: "main",
    command: ["cudaseal"],
    args: unit.args,
    workingDir: options.gitRepo ? inCheckout(CHECKOUT, plan) : options.catalogDir,
  });
  return template;
}

function dagTask(unit: PlanUnit): Obj {
  const task: Obj = { name: argoName(unit.id), template: argoName(unit.id) };
  if (unit.needs.length) task.dependencies = unit.needs.map(argoName);
  return task;
}

/** The WorkflowTemplate and the CronWorkflow that runs it. */
export function argoDocuments(plan: CatalogPlan, units: PlanUnit[], options: ResolvedEmitOptions): Obj[] {
  const names = new Set(units.map((u) => argoName(u.id)));
  if (names.size !== units.length || names.has(ENTRYPOINT)) {
    throw new CudasealError("CATALOG_INVALID", "two units get the same Argo task name", {
      hint: "give the catalog's entries names that start with a letter",
    });
  }
  const spec: Obj = { entrypoint: ENTRYPOINT };
  if (options.parallelism !== undefined) spec.parallelism = options.parallelism;
  spec.automountServiceAccountToken = false;
  spec.executor = { serviceAccountName: options.serviceAccount };
  spec.securityContext = workerPodSecurityContext(options);
  spec.podGC = { strategy: "OnPodSuccess" };
  spec.volumes = workerVolumes(options);
  spec.templates = [
    { name: ENTRYPOINT, dag: { tasks: units.map(dagTask) } },
    ...units.map((u) => unitTemplate(u, plan, options)),
  ];
  const annotations = {
    "cudaseal.dev/catalog": plan.catalog,
    "cudaseal.dev/cudaseal-version": plan.cudaseal,
  };
  const template = {
    apiVersion: API_VERSION,
    kind: "WorkflowTemplate",
    metadata: { ...objectMeta(options, options.name), annotations },
    spec,
  };
  const cron = {
    apiVersion: API_VERSION,
    kind: "CronWorkflow",
    metadata: objectMeta(options, options.name),
    spec: {
      schedules: [options.schedule],
      timezone: "Etc/UTC",
      // A night's run still going when the next is due is left to finish; the next one waits a day.
      concurrencyPolicy: "Forbid",
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      workflowSpec: { workflowTemplateRef: { name: options.name } },
    },
  };
  return [template, cron];
}
