// `catalog emit --engine argo` on a plan of 3 entries × 2 variants × 2
// arches: valid against Argo's published schema (and a strict copy of it),
// one DAG task per unit with the plan's edges, memoized on the unit's key,
// and pods that pass the Pod Security Standards' restricted profile.

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseAllDocuments } from "yaml";
import { emitPlan } from "../../src/engines/index.ts";
import { evaluatePodSecurity } from "../deploy/pod-security.ts";
import { samplePlan } from "./fixture.ts";
import { argoValidator } from "./schemas.ts";

// biome-ignore lint/suspicious/noExplicitAny: emitted documents are read as data
type Obj = Record<string, any>;

const OPTIONS = {
  engine: "argo" as const,
  image: "registry.example/team/cudaseal:0.1.0",
  namespace: "builds",
};

function emitted(extra: Obj = {}) {
  const result = emitPlan(samplePlan(), { ...OPTIONS, ...extra });
  const [template, cron] = result.documents as Obj[];
  return { result, template, cron };
}

test("the WorkflowTemplate and the CronWorkflow are valid against Argo's schema, as published and made strict", () => {
  const { result } = emitted();
  for (const strict of [false, true]) {
    const validate = argoValidator(strict);
    for (const doc of result.documents) {
      assert.ok(
        validate(doc),
        `${doc.kind} (strict ${strict}): ${JSON.stringify(validate.errors?.slice(0, 3))}`,
      );
    }
  }
  // The YAML is the same documents.
  const parsed = parseAllDocuments(result.yaml).map((d) => d.toJS());
  assert.deepEqual(parsed, result.documents);
});

test("the strict schema refuses a misspelt field, so validating against it can fail", () => {
  const { template } = emitted();
  template.spec.templates[1].memoise = template.spec.templates[1].memoize;
  delete template.spec.templates[1].memoize;
  assert.ok(argoValidator(false)(template), "the published schema lets the misspelling through");
  assert.equal(argoValidator(true)(template), false);
});

test("each unit is one DAG task whose dependencies are the unit's needs", () => {
  const plan = samplePlan();
  const { template } = emitted();
  assert.equal(template.spec.entrypoint, "catalog");
  const dag = template.spec.templates.find((t: Obj) => t.name === "catalog").dag.tasks as Obj[];
  assert.deepEqual(
    dag.map((t) => t.name),
    plan.units.map((u) => u.id),
  );
  for (const unit of plan.units) {
    const task = dag.find((t) => t.name === unit.id) as Obj;
    assert.deepEqual(task.dependencies ?? [], [...unit.needs].sort(), unit.id);
    const tmpl = template.spec.templates.find((t: Obj) => t.name === task.template);
    assert.deepEqual(tmpl.container.command, ["cudaseal"]);
    assert.deepEqual(tmpl.container.args, unit.args);
    assert.equal(tmpl.container.workingDir, "/catalog");
    assert.deepEqual(tmpl.memoize, {
      key: `cudaseal-${unit.key}`,
      maxAge: "168h",
      cache: { configMap: { name: "cudaseal-catalog-memo" } },
    });
  }
});

test("every unit's pod passes Pod Security restricted, and the worker gets no service account token", () => {
  const { template } = emitted();
  const spec = template.spec;
  assert.equal(spec.automountServiceAccountToken, false);
  assert.equal(spec.executor.serviceAccountName, "default");
  for (const t of spec.templates.filter((x: Obj) => x.container)) {
    const pod = {
      kind: "Pod",
      metadata: t.metadata,
      spec: { securityContext: spec.securityContext, containers: [t.container], volumes: spec.volumes },
    };
    assert.deepEqual(evaluatePodSecurity(pod, "restricted"), [], t.name);
    assert.equal(t.container.securityContext.readOnlyRootFilesystem, true);
  }
  // A pod with a privileged worker would not pass: the evaluator can fail.
  const bad = structuredClone(spec.templates[1].container);
  bad.securityContext.allowPrivilegeEscalation = true;
  const badPod = { kind: "Pod", spec: { securityContext: spec.securityContext, containers: [bad] } };
  assert.notDeepEqual(evaluatePodSecurity(badPod, "restricted"), []);
});

test("registry credentials come from the Secret, mounted read-only where DOCKER_CONFIG points", () => {
  const { template } = emitted({ registrySecret: "team-pull-push" });
  const volume = template.spec.volumes.find((v: Obj) => v.name === "docker-config");
  assert.deepEqual(volume.secret.secretName, "team-pull-push");
  assert.deepEqual(volume.secret.items, [{ key: ".dockerconfigjson", path: "config.json" }]);
  const c = template.spec.templates[1].container;
  const mount = c.volumeMounts.find((m: Obj) => m.name === "docker-config");
  assert.equal(mount.readOnly, true);
  assert.deepEqual(
    c.env.find((e: Obj) => e.name === "DOCKER_CONFIG"),
    { name: "DOCKER_CONFIG", value: mount.mountPath },
  );
});

test("the CronWorkflow runs the template on the schedule, nightly by default", () => {
  assert.deepEqual(emitted().cron.spec.schedules, ["0 3 * * *"]);
  const { cron } = emitted({ schedule: "30 1 * * 1-5" });
  assert.deepEqual(cron.spec.schedules, ["30 1 * * 1-5"]);
  assert.deepEqual(cron.spec.workflowSpec, { workflowTemplateRef: { name: "cudaseal-catalog" } });
  assert.equal(cron.metadata.namespace, "builds");
});

test("with --git-repo the catalog is a git artifact at the given revision, and units run in its folder", () => {
  const { template, result } = emitted({
    gitRepo: "https://git.example/team/catalog.git",
    gitRevision: "0123abcd",
  });
  const t = template.spec.templates[1];
  assert.deepEqual(t.inputs.artifacts, [
    {
      name: "catalog",
      path: "/src",
      git: { repo: "https://git.example/team/catalog.git", revision: "0123abcd" },
    },
  ]);
  assert.equal(t.container.workingDir, "/src/fleet");
  assert.ok(argoValidator(true)(result.documents[0]));
});

test("the same plan gives the same bytes; done units are left out with --skip-done", () => {
  assert.equal(emitted().result.yaml, emitted().result.yaml);
  const plan = samplePlan();
  for (const u of plan.units) if (u.entry === "base") u.done = true;
  const result = emitPlan(plan, { ...OPTIONS, skipDone: true });
  const dag = (result.documents[0] as Obj).spec.templates[0].dag.tasks as Obj[];
  assert.equal(result.units, 12);
  assert.ok(dag.every((t) => !t.name.startsWith("base-")));
  // The app builds' need on base's index is met already.
  assert.equal(dag.find((t) => t.name === "app-cuda-12-4-amd64")?.dependencies, undefined);
});
