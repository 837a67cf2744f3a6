// `catalog emit --engine k8s-jobs`: one Indexed Job per level, each valid
// against the Kubernetes v1.32 batch/v1 Job schema (standalone strict) and
// the Pod Security Standards' restricted profile; the pod's completion
// index, run through a real sh, starts exactly its unit's cudaseal command.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { parseAllDocuments } from "yaml";
import { emitPlan } from "../../src/engines/index.ts";
import { kubernetesValidator } from "../deploy/kubernetes-schemas.ts";
import { evaluatePodSecurity } from "../deploy/pod-security.ts";
import { samplePlan, TRICKY_ARG } from "./fixture.ts";

// biome-ignore lint/suspicious/noExplicitAny: emitted documents are read as data
type Obj = Record<string, any>;

const OPTIONS = {
  engine: "k8s-jobs" as const,
  image: "registry.example/team/cudaseal:0.1.0",
  namespace: "builds",
};
const jobs = (extra: Obj = {}) => emitPlan(samplePlan(), { ...OPTIONS, ...extra });

test("one Indexed Job per level, each valid against the batch/v1 Job schema, in level order", () => {
  const plan = samplePlan();
  const result = jobs();
  const validate = kubernetesValidator("Job");
  assert.equal(result.documents.length, 4);
  result.documents.forEach((job: Obj, level) => {
    assert.ok(validate(job), JSON.stringify(validate.errors?.slice(0, 3)));
    const units = plan.units.filter((u) => u.level === level);
    assert.equal(job.metadata.labels["cudaseal.dev/level"], String(level));
    assert.match(job.metadata.name, new RegExp(`^cudaseal-catalog-l${level}-[0-9a-f]{8}$`));
    assert.equal(job.spec.completionMode, "Indexed");
    assert.equal(job.spec.completions, units.length);
    assert.equal(job.spec.parallelism, units.length);
    assert.equal(job.spec.backoffLimitPerIndex, 0);
    assert.equal(job.metadata.annotations["cudaseal.dev/units"], units.map((u) => u.id).join(","));
  });
  assert.deepEqual(
    parseAllDocuments(result.yaml).map((d) => d.toJS()),
    result.documents,
  );
  // The schema can fail: a misplaced field is refused (the schema is strict).
  const bad = structuredClone(result.documents[0]) as Obj;
  bad.spec.template.spec.containers[0].securityContext.readOnlyRoot = true;
  assert.equal(validate(bad), false);
});

test("every Job's pod passes Pod Security restricted and mounts no service account token", () => {
  for (const job of jobs().documents as Obj[]) {
    assert.deepEqual(evaluatePodSecurity(job, "restricted"), [], job.metadata.name);
    const pod = job.spec.template.spec;
    assert.equal(pod.automountServiceAccountToken, false);
    assert.equal(pod.restartPolicy, "Never");
    assert.equal(pod.containers[0].securityContext.readOnlyRootFilesystem, true);
    assert.equal(pod.securityContext.runAsUser, 65532);
  }
  const custom = jobs({ user: "2000:3000", parallelism: 1 }).documents[0] as Obj;
  assert.equal(custom.spec.template.spec.securityContext.runAsUser, 2000);
  assert.equal(custom.spec.template.spec.securityContext.fsGroup, 3000);
  assert.equal(custom.spec.parallelism, 1);
  assert.throws(() => jobs({ user: "0" }), { code: "USAGE" });
});

test("the completion index picks its unit: a real sh runs exactly that unit's cudaseal arguments", () => {
  const dir = mkdtempSync(join(tmpdir(), "cudaseal-k8s-jobs-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  // A cudaseal that prints its arguments, one a line.
  writeFileSync(join(dir, "cudaseal"), "#!/bin/sh\nprintf '%s\\n' \"$@\"\n");
  chmodSync(join(dir, "cudaseal"), 0o755);
  const plan = samplePlan();
  let seenTricky = false;
  for (const job of jobs().documents as Obj[]) {
    const [sh, c, script] = job.spec.template.spec.containers[0].command;
    const ids = job.metadata.annotations["cudaseal.dev/units"].split(",");
    for (let i = 0; i <= ids.length; i++) {
      const run = spawnSync(sh, [c, script], {
        env: { PATH: `${dir}:${process.env.PATH}`, JOB_COMPLETION_INDEX: String(i) },
        encoding: "utf8",
      });
      if (i === ids.length) {
        assert.equal(run.status, 2, "an index past the level's units is refused");
        continue;
      }
      const unit = plan.units.find((u) => u.id === ids[i]);
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(run.stdout.slice(0, -1).split("\n"), unit?.args);
      seenTricky ||= unit?.args.includes(TRICKY_ARG) ?? false;
    }
  }
  assert.ok(seenTricky);
});

test("the Job names change with the units' keys, so a changed catalog never reuses a finished Job", () => {
  const before = jobs().documents.map((j: Obj) => j.metadata.name);
  const plan = samplePlan();
  plan.units[0].key = "f".repeat(64);
  const changed = emitPlan(plan, OPTIONS).documents.map((j: Obj) => j.metadata.name);
  assert.notEqual(changed[0], before[0]);
  assert.deepEqual(changed.slice(1), before.slice(1));
  assert.equal(jobs().yaml, jobs().yaml);
});
