// The Dockerfiles from the project's seed documents (test/fixtures/dockerfiles,
// each naming its seed), linted whole: what a reviewer would flag, and no more.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { lintDockerfile } from "../../src/lint/index.ts";

const DIR = new URL("../fixtures/dockerfiles/", import.meta.url);

function findings(file: string, options = {}): string[] {
  const text = readFileSync(new URL(file, DIR), "utf8");
  return lintDockerfile(text, { path: file, ...options })
    .findings.map((f) => `${f.id}:${f.evidence.line}`)
    .sort();
}

test("seed 001, hardened base plus copied CUDA libraries: no USER, nothing pinned", () => {
  assert.deepEqual(findings("seed001-hardened-runtime-libs.Dockerfile"), [
    "CS-DF-BASE-UNPINNED:10",
    "CS-DF-BASE-UNPINNED:7",
    "CS-DF-USER-MISSING:7",
  ]);
});

test("seed 001, keda-gpu-scaler: non-root and multi-stage; only the pins are missing", () => {
  assert.deepEqual(findings("seed001-keda-gpu-scaler.Dockerfile"), [
    "CS-DF-BASE-UNPINNED:14",
    "CS-DF-BASE-UNPINNED:17",
    "CS-DF-BASE-UNPINNED:4",
  ]);
});

test("seed 001, Python inference: the app copied after USER stays root-owned (info)", () => {
  assert.deepEqual(findings("seed001-python-inference.Dockerfile"), [
    "CS-DF-BASE-UNPINNED:12",
    "CS-DF-BASE-UNPINNED:16",
    "CS-DF-BASE-UNPINNED:4",
    "CS-DF-BASE-UNPINNED:9",
    "CS-DF-COPY-CHOWN:22",
  ]);
});

test("seed 003, the .env copied and then deleted: still in its layer", () => {
  assert.deepEqual(findings("seed003-secret-in-layer.Dockerfile"), [
    "CS-DF-BASE-UNPINNED:3",
    "CS-DF-SECRET-DELETED:5",
    "CS-DF-SECRET-FILE:4",
    "CS-DF-USER-MISSING:3",
  ]);
});

test("seed 002, three stages: the last (dev) runs as root; --target runtime ships the non-root stage", () => {
  const file = "seed002-three-stage-cuda.Dockerfile";
  assert.deepEqual(findings(file), [
    "CS-DF-BASE-UNPINNED:11",
    "CS-DF-BASE-UNPINNED:13",
    "CS-DF-BASE-UNPINNED:32",
    "CS-DF-USER-ROOT:48",
  ]);
  assert.deepEqual(findings(file, { target: "runtime" }), [
    "CS-DF-BASE-UNPINNED:11",
    "CS-DF-BASE-UNPINNED:13",
    "CS-DF-BASE-UNPINNED:32",
  ]);
  // CUDA_IMAGE_TYPE=devel changes only the deps stage, which does not ship.
  const devel = findings(file, { target: "runtime", buildArgs: { CUDA_IMAGE_TYPE: "devel" } });
  assert.ok(!devel.some((f) => f.startsWith("CS-DF-CUDA-DEVEL-FINAL")));
});
