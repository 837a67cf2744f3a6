// `cudaseal catalog emit` from a real catalog (three specs × two CUDA
// variants × two architectures, one `contents: image:` edge) planned by
// `catalog plan`: each engine's output valid against its published schema,
// the same bytes from the catalog and from the saved plan, and refusals
// that leave no file behind.

import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parse, parseAllDocuments } from "yaml";
import { kubernetesValidator } from "../deploy/kubernetes-schemas.ts";
import { argoValidator, githubWorkflowValidator } from "../engines/schemas.ts";
import { runCli } from "../helpers/cli.ts";

// biome-ignore lint/suspicious/noExplicitAny: emitted documents are read as data
type Obj = Record<string, any>;

const IMAGE = "registry.example/team/cudaseal:0.1.0";
let repo = "";

before(() => {
  // A repository with the catalog in a folder of its own, as teams keep one.
  repo = mkdtempSync(join(tmpdir(), "cudaseal-emit-"));
  mkdirSync(join(repo, "fleet/specs"), { recursive: true });
  writeFileSync(join(repo, "fleet/specs/base.yaml"), "name: base\npackages: [hello]\n");
  writeFileSync(join(repo, "fleet/specs/tools.yaml"), "name: tools\npackages: [hello]\n");
  writeFileSync(
    join(repo, "fleet/specs/app.yaml"),
    "name: app\npackages: [hello]\ncontents:\n" +
      "  - image: reg.example/team/base:12.8-base\n    path: /usr/lib\n    destination: /usr/lib\n",
  );
  const entry = (name: string) =>
    `  - name: ${name}\n    spec: specs/${name}.yaml\n    repository: reg.example/team/${name}\n` +
    `    archs: [amd64, arm64]\n    variants: { cuda: ["12.4", "12.8"] }\n    tags: ["{cuda}-${name}"]\n`;
  writeFileSync(join(repo, "fleet/catalog.yaml"), `images:\n${["base", "tools", "app"].map(entry).join("")}`);
});
after(() => rmSync(repo, { recursive: true, force: true }));

const emit = (args: string[]) => runCli(["catalog", "emit", ...args], { cwd: repo });

test("each engine's output from the catalog is valid against its schema and runs all 18 units", async () => {
  const plan = await runCli(["catalog", "plan", "fleet/catalog.yaml", "--offline", "--json"], { cwd: repo });
  assert.equal(plan.status, 0, plan.stderr);
  const units = JSON.parse(plan.stdout).units as Obj[];
  assert.equal(units.length, 18);

  const argo = await emit(["fleet/catalog.yaml", "--engine", "argo", "--image", IMAGE]);
  assert.equal(argo.status, 0, argo.stderr);
  const [template, cron] = parseAllDocuments(argo.stdout).map((d) => d.toJS()) as Obj[];
  const validate = argoValidator(true);
  assert.ok(validate(template), JSON.stringify(validate.errors?.slice(0, 3)));
  assert.ok(validate(cron), JSON.stringify(validate.errors?.slice(0, 3)));
  const tasks = template.spec.templates[0].dag.tasks as Obj[];
  assert.deepEqual(
    tasks.map((t) => [t.name, t.dependencies ?? []]),
    units.map((u) => [u.id, u.needs]),
  );

  const gha = await emit(["fleet/catalog.yaml", "--engine", "github-actions", "--image", IMAGE]);
  assert.equal(gha.status, 0, gha.stderr);
  const workflow = parse(gha.stdout) as Obj;
  const validateGha = githubWorkflowValidator();
  assert.ok(validateGha(workflow), JSON.stringify(validateGha.errors?.slice(0, 3)));
  const ran = Object.values(workflow.jobs as Obj).flatMap((j: Obj) =>
    j.strategy ? j.strategy.matrix.include.map((i: Obj) => i.unit) : [j.name],
  );
  assert.deepEqual(ran.sort(), units.map((u) => u.id).sort());
  // Units run in the catalog's folder of the checkout, where their relative paths point.
  assert.match(gha.stdout, /-w \/src\/fleet/);

  const jobs = await emit(["fleet/catalog.yaml", "--engine", "k8s-jobs", "--image", IMAGE, "--json"]);
  assert.equal(jobs.status, 0, jobs.stderr);
  const out = JSON.parse(jobs.stdout);
  assert.equal(out.engine, "k8s-jobs");
  assert.equal(out.units, 18);
  const validateJob = kubernetesValidator("Job");
  for (const job of out.documents)
    assert.ok(validateJob(job), JSON.stringify(validateJob.errors?.slice(0, 3)));
  assert.deepEqual(
    out.documents.map((j: Obj) => j.spec.completions),
    [0, 1, 2, 3].map((level) => units.filter((u) => u.level === level).length),
  );
});

test("-o writes the same bytes as a saved plan gives, and --plan needs no catalog", async () => {
  const planned = await runCli(["catalog", "plan", "fleet/catalog.yaml", "--offline", "-o", "plan.json"], {
    cwd: repo,
  });
  assert.equal(planned.status, 0, planned.stderr);
  const fromCatalog = await emit([
    "fleet/catalog.yaml",
    "--engine",
    "argo",
    "--image",
    IMAGE,
    "-o",
    "a.yaml",
  ]);
  assert.equal(fromCatalog.status, 0, fromCatalog.stderr);
  const fromPlan = await emit(["--plan", "plan.json", "--engine", "argo", "--image", IMAGE, "-o", "b.yaml"]);
  assert.equal(fromPlan.status, 0, fromPlan.stderr);
  assert.equal(readFileSync(join(repo, "a.yaml"), "utf8"), readFileSync(join(repo, "b.yaml"), "utf8"));
  assert.equal(fromPlan.stdout, "");
  assert.match(fromPlan.stderr, /wrote b\.yaml: argo, 18 units/);
});

test("a bad engine, a missing image, a broken plan and a missing one are refused, and -o leaves no file", async () => {
  const engine = await emit(["fleet/catalog.yaml", "--engine", "jenkins", "--image", IMAGE, "-o", "x.yaml"]);
  assert.equal(engine.status, 2);
  assert.match(engine.stderr, /USAGE/);
  const image = await emit(["fleet/catalog.yaml", "--engine", "argo", "-o", "x.yaml"]);
  assert.equal(image.status, 2);
  writeFileSync(
    join(repo, "broken.json"),
    JSON.stringify({ planVersion: 1, cudaseal: "0.1.0", catalog: "c", units: [{ id: "a" }] }),
  );
  const broken = await emit(["--plan", "broken.json", "--engine", "argo", "--image", IMAGE, "-o", "x.yaml"]);
  assert.equal(broken.status, 1);
  assert.match(broken.stderr, /CATALOG_INVALID/);
  const missing = await emit(["--plan", "gone.json", "--engine", "argo", "--image", IMAGE, "-o", "x.yaml"]);
  assert.equal(missing.status, 1, missing.stderr);
  assert.match(missing.stderr, /CATALOG_INVALID/);
  assert.equal(existsSync(join(repo, "x.yaml")), false);
});

test("a subcommand refuses flags that are only another's, --username included", async () => {
  const plan = await runCli(["catalog", "plan", "fleet/catalog.yaml", "--offline", "--engine", "argo"], {
    cwd: repo,
  });
  assert.equal(plan.status, 2, plan.stderr);
  // Units take their credentials from the environment, so a password the plan alone would use is refused.
  const login = ["--offline", "--username", "u", "--password-stdin"];
  const user = await runCli(["catalog", "plan", "fleet/catalog.yaml", ...login], { cwd: repo });
  assert.equal(user.status, 2, user.stderr);
});
