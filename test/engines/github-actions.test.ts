// `catalog emit --engine github-actions`: valid against SchemaStore's
// workflow schema, `needs:` exact (a job waits for exactly the jobs holding
// what its units need), a schedule and workflow_dispatch, read-only
// permissions, actions pinned by commit, and each unit's arguments reaching
// the worker whole through a real sh.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { parse } from "yaml";
import { emitPlan } from "../../src/engines/index.ts";
import { samplePlan, TRICKY_ARG } from "./fixture.ts";
import { githubWorkflowValidator } from "./schemas.ts";

// biome-ignore lint/suspicious/noExplicitAny: emitted documents are read as data
type Obj = Record<string, any>;

const OPTIONS = { engine: "github-actions" as const, image: "registry.example/team/cudaseal:0.1.0" };

function workflow(extra: Obj = {}): { doc: Obj; yaml: string } {
  const result = emitPlan(samplePlan(), { ...OPTIONS, ...extra });
  return { doc: result.documents[0] as Obj, yaml: result.yaml };
}

/** Which units each job runs. */
function unitsOf(job: Obj): string[] {
  return job.strategy ? job.strategy.matrix.include.map((i: Obj) => i.unit) : [job.name];
}

test("the workflow is valid against the GitHub workflow schema, and the YAML parses back to it", () => {
  const validate = githubWorkflowValidator();
  const { doc, yaml } = workflow();
  assert.ok(validate(doc), JSON.stringify(validate.errors?.slice(0, 3)));
  assert.deepEqual(parse(yaml), doc);
  // The schema can fail: a job without runs-on is not a workflow.
  const bad = structuredClone(doc);
  delete bad.jobs[Object.keys(bad.jobs)[0]]["runs-on"];
  assert.equal(validate(bad), false);
});

test("every unit runs once, and each job needs exactly the jobs holding its units' needs", () => {
  const plan = samplePlan();
  const { doc } = workflow();
  const jobOf = new Map<string, string>();
  for (const [id, job] of Object.entries(doc.jobs as Obj)) for (const u of unitsOf(job)) jobOf.set(u, id);
  assert.deepEqual([...jobOf.keys()].sort(), plan.units.map((u) => u.id).sort());
  for (const [id, job] of Object.entries(doc.jobs as Obj)) {
    const units = unitsOf(job).map((u) => plan.units.find((p) => p.id === u));
    const wanted = new Set(units.flatMap((u) => u?.needs ?? []));
    // Waiting on a job means waiting on all its units: they must be exactly what is needed.
    const waited = new Set((job.needs ?? []).flatMap((j: string) => unitsOf(doc.jobs[j])));
    assert.deepEqual([...waited].sort(), [...wanted].sort(), id);
  }
  // The architectures of one spec × variant share a matrix job.
  assert.deepEqual(unitsOf(doc.jobs["base-cuda-12-4-matrix"]), [
    "base-cuda-12-4-amd64",
    "base-cuda-12-4-arm64",
  ]);
  assert.deepEqual(doc.jobs["base-cuda-12-4-index"].needs, ["base-cuda-12-4-matrix"]);
  assert.deepEqual(doc.jobs["app-cuda-12-4-matrix"].needs, ["base-cuda-12-4-index"]);
});

test("it runs nightly and by hand, may only read the repository, and pins its one action by commit", () => {
  const { doc } = workflow({ schedule: "15 2 * * *" });
  assert.deepEqual(doc.on, { schedule: [{ cron: "15 2 * * *" }], workflow_dispatch: {} });
  assert.deepEqual(doc.permissions, { contents: "read" });
  for (const job of Object.values(doc.jobs as Obj)) {
    for (const step of job.steps as Obj[]) {
      if (step.uses) assert.match(step.uses, /^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
    }
  }
  assert.match(workflow().yaml, /cron: 0 3 \* \* \*/);
});

test("registry credentials come from the named secret, written where only the runner's user reads them", () => {
  const { doc } = workflow({ registrySecret: "TEAM_REGISTRY" });
  const step = (Object.values(doc.jobs as Obj)[0] as Obj).steps[1];
  assert.equal(step.env.DOCKER_CONFIG_JSON, `$${"{{"} secrets.TEAM_REGISTRY }}`);
  assert.match(step.run, /^umask 077$/m);
  assert.throws(() => workflow({ registrySecret: "team-registry" }), { code: "USAGE" });
});

test("a unit's arguments reach the worker whole through sh, even ones with quotes, spaces and $", () => {
  const plan = samplePlan();
  const { doc } = workflow();
  const dir = mkdtempSync(join(tmpdir(), "cudaseal-gha-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const job = doc.jobs["tools-cuda-12-8-matrix"];
  const entry = job.strategy.matrix.include.find((i: Obj) => i.unit === "tools-cuda-12-8-arm64");
  // The step's own script with `docker` made a function that prints its config folder, then its arguments one a line.
  const script = `docker() { printf '%s\\n' "$DOCKER_CONFIG" "$@"; }\nid() { echo 1001; }\n${job.steps[2].run}`;
  const run = spawnSync("sh", ["-c", script], {
    env: {
      PATH: process.env.PATH,
      UNIT_ARGS: entry.args,
      CUDASEAL_IMAGE: "img",
      GITHUB_WORKSPACE: join(dir, "ws"),
      RUNNER_TEMP: join(dir, "tmp"),
    },
    encoding: "utf8",
  });
  assert.equal(run.status, 0, run.stderr);
  assert.ok(statSync(join(dir, "ws/fleet/out")).isDirectory(), "the writable output folder is made");
  const [config, ...args] = run.stdout.trimEnd().split("\n");
  // The worker image is pulled with the registry secret's config.json.
  assert.equal(config, join(dir, "tmp/cudaseal-docker"));
  const unit = plan.units.find((u) => u.id === "tools-cuda-12-8-arm64");
  assert.deepEqual(args.slice(args.indexOf("img") + 1), unit?.args, run.stderr);
  assert.ok(args.includes(TRICKY_ARG));
  assert.equal(args[args.indexOf("-w") + 1], "/src/fleet");
});

test("an argument holding a GitHub expression is refused, as the runner would expand it before the shell", () => {
  const plan = samplePlan();
  plan.units[0].args = [...plan.units[0].args, "--cache-from", `reg.example/\${{ github.event.inputs.x }}`];
  assert.throws(() => emitPlan(plan, OPTIONS), { code: "CATALOG_INVALID" });
});
