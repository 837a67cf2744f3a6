// `cudaseal catalog emit`: the plan written as an engine's own files, for
// Argo Workflows, GitHub Actions or Kubernetes Jobs. The plan comes from the
// catalog (planned here) or from a plan file; the output goes to stdout or,
// whole or not at all, to -o FILE.

import { type EmitOptions, ENGINES, type Engine, emitPlan, resolveEmitOptions } from "../../engines/index.ts";
import { CudasealError } from "../../errors.ts";
import { writeOutputFile } from "../../util/atomic-file.ts";
import { readRegularFile } from "../../util/read-regular-file.ts";
import { type FlagValues, stringFlag } from "../command.ts";
import type { Subcommand } from "./catalog.ts";
import { PLAN_FLAGS, planFrom } from "./catalog-plan.ts";

/** A plan file of 10,000 units is a few MiB; more is not a plan. */
const MAX_PLAN_BYTES = 64 * 1024 * 1024;

async function readPlan(positionals: string[], flags: FlagValues): Promise<unknown> {
  const planFile = stringFlag(flags, "plan");
  if ((planFile === undefined) === (positionals.length === 0) || positionals.length > 1) {
    throw new CudasealError("USAGE", "catalog emit takes one catalog file or --plan FILE", {
      hint: "cudaseal catalog emit catalog.yaml --engine argo --image REF",
    });
  }
  if (planFile === undefined) {
    if (flags["skip-done"] === true && flags.offline === true)
      throw new CudasealError("USAGE", "--skip-done asks the registry, which --offline forbids");
    // Done-ness matters only to --skip-done: otherwise no registry is asked.
    const ask = flags["skip-done"] === true || flags["registry-check"] === true;
    return (await planFrom(positionals[0], { ...flags, offline: flags.offline === true || !ask })).plan;
  }
  let text: string;
  try {
    text = (await readRegularFile(planFile, { what: "plan", max: MAX_PLAN_BYTES })).toString("utf8");
  } catch (err) {
    if (err instanceof CudasealError) throw err;
    throw new CudasealError("CATALOG_INVALID", `cannot read plan ${planFile}`, {
      hint: "write it with `cudaseal catalog plan CATALOG -o plan.json`",
      cause: err,
    });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CudasealError("CATALOG_INVALID", `plan ${planFile} is not JSON`, { cause: err });
  }
}

function emitOptions(flags: FlagValues): EmitOptions {
  const engine = stringFlag(flags, "engine");
  const image = stringFlag(flags, "image");
  if (engine === undefined || image === undefined) {
    throw new CudasealError("USAGE", "catalog emit needs --engine and --image", {
      hint: `--engine ${ENGINES.join("|")} --image REGISTRY/REPO:TAG (an image with cudaseal on PATH)`,
    });
  }
  const parallelism = stringFlag(flags, "parallelism");
  const optional = (flag: string, key: keyof EmitOptions) => {
    const v = stringFlag(flags, flag);
    return v === undefined ? {} : { [key]: v };
  };
  return {
    engine: engine as Engine,
    image,
    ...optional("name", "name"),
    ...optional("namespace", "namespace"),
    ...optional("schedule", "schedule"),
    ...optional("registry-secret", "registrySecret"),
    ...optional("user", "user"),
    ...optional("catalog-dir", "catalogDir"),
    ...optional("git-repo", "gitRepo"),
    ...optional("git-revision", "gitRevision"),
    ...optional("memo-max-age", "memoMaxAge"),
    ...optional("service-account", "serviceAccount"),
    ...optional("runs-on", "runsOn"),
    ...(parallelism === undefined ? {} : { parallelism: Number(parallelism) }),
    skipDone: flags["skip-done"] === true,
  };
}

export const catalogEmit: Subcommand = {
  name: "emit",
  help: `cudaseal catalog emit CATALOG.yaml|--plan plan.json --engine ENGINE --image REF [-o FILE]
  Writes the plan for an engine that runs it; cudaseal runs nothing. Each
  unit runs \`cudaseal ARGS\` in the worker image, in the catalog's folder, in
  a pod that meets Pod Security 'restricted'. See docs/fleet.md for how to
  submit each output.
    argo            a WorkflowTemplate (a DAG task per unit, memoized on the
                    unit's key) and a CronWorkflow running it on --schedule
    github-actions  a workflow: a job per unit or a matrix job per group of
                    units with the same edges, needs: from the plan,
                    schedule and workflow_dispatch, contents: read only
    k8s-jobs        an Indexed Job per DAG level: apply and wait level by level
  The same plan and flags give the same bytes; --json prints
  {engine, units, documents}.
  --engine ENGINE         argo, github-actions or k8s-jobs (required)
  --image REF             the worker image, with cudaseal on PATH (required); for
                          k8s-jobs (and argo without --git-repo) it also holds the
                          catalog at --catalog-dir, and k8s-jobs needs /bin/sh in it
  --plan FILE             emit this plan (catalog plan -o FILE) instead of planning
  -o, --output FILE       write to FILE instead of stdout
  --schedule CRON         five cron fields, UTC (default: "0 3 * * *", nightly)
  --registry-secret NAME  registry credentials: a Secret of type dockerconfigjson
                          (default: cudaseal-registry), or for github-actions the
                          secret holding a docker config.json (CUDASEAL_REGISTRY_AUTH)
  --name NAME             name of what is written (default: cudaseal-catalog)
  --namespace NS          metadata.namespace (argo, k8s-jobs)
  --user UID[:GID]        numeric non-root user of the worker (default: 65532)
  --catalog-dir DIR       the catalog's folder in the worker image (default: /catalog)
  --git-repo URL          argo: fetch the catalog as a git artifact instead
  --git-revision REV      argo: the commit to fetch, best the one planned (default: HEAD)
  --memo-max-age AGE      argo: how long a unit's memoized key holds (default: 168h)
  --service-account NAME  argo: the executor's service account (default: default)
  --runs-on LABEL         github-actions: the runner (default: ubuntu-24.04)
  --parallelism N         at most N units at once
  --skip-done             leave out units the registry already holds (asks it)`,
  flags: {
    engine: { type: "string" },
    image: { type: "string" },
    plan: { type: "string" },
    output: { type: "string", short: "o" },
    schedule: { type: "string" },
    "registry-secret": { type: "string" },
    name: { type: "string" },
    namespace: { type: "string" },
    user: { type: "string" },
    "catalog-dir": { type: "string" },
    "git-repo": { type: "string" },
    "git-revision": { type: "string" },
    "memo-max-age": { type: "string" },
    "service-account": { type: "string" },
    "runs-on": { type: "string" },
    parallelism: { type: "string" },
    "skip-done": { type: "boolean" },
    ...PLAN_FLAGS,
  },
  async run(positionals, flags, out) {
    // The options first: a bad flag is refused before the catalog is planned.
    const options = emitOptions(flags);
    resolveEmitOptions(options);
    const plan = await readPlan(positionals, flags);
    const result = emitPlan(plan, options);
    const text = out.json
      ? `${JSON.stringify({ engine: result.engine, units: result.units, documents: result.documents }, null, 2)}\n`
      : result.yaml;
    const file = stringFlag(flags, "output");
    if (file === undefined) process.stdout.write(text);
    else {
      await writeOutputFile(file, text);
      out.note(`wrote ${file}: ${result.engine}, ${result.units} units`);
    }
    return 0;
  },
};
