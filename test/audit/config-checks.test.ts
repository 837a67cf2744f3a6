// Config checks on hand-written configs: users, the NVIDIA variables against
// the libcudart the walk found, layer count, and the base image name.

import assert from "node:assert/strict";
import { test } from "node:test";
import { checkConfig } from "../../src/audit/config-checks.ts";

const NOW = new Date("2026-06-15T00:00:00Z");
const CUDA_12_4 = {
  present: true,
  version: { major: 12, minor: 4, full: "12.4.127" },
  path: "/usr/lib/libcudart.so.12.4.127",
};
const LABELS = Object.fromEntries(
  ["created", "source", "revision", "version"].map((k) => [`org.opencontainers.image.${k}`, "x"]),
);

function ids(runtime: Record<string, unknown>, facts = { cudart: { present: false }, layers: 3 }) {
  const config = { created: "2026-06-14T00:00:00Z", config: { User: "65532", Labels: LABELS, ...runtime } };
  return checkConfig(config, facts, { now: NOW }).map((f) => f.id);
}

test("users: none, root by name or number, a name, numbers", () => {
  assert.deepEqual(ids({ User: "" }), ["CS-USER-MISSING"]);
  assert.deepEqual(ids({ User: "root" }), ["CS-USER-ROOT"]);
  assert.deepEqual(ids({ User: "0:0" }), ["CS-USER-ROOT"]);
  assert.deepEqual(ids({ User: "app" }), ["CS-USER-NON-NUMERIC"]);
  assert.deepEqual(ids({ User: "1000:app" }), ["CS-USER-NON-NUMERIC"]);
  assert.deepEqual(ids({ User: "1000:1000" }), []);
});

test("NVIDIA_REQUIRE_CUDA against the libcudart present: missing, too low, too high, right", () => {
  const facts = { cudart: CUDA_12_4, layers: 3 };
  const env = (...e: string[]) => ({
    Env: ["NVIDIA_VISIBLE_DEVICES=all", "NVIDIA_DRIVER_CAPABILITIES=compute,utility", ...e],
  });
  assert.deepEqual(ids(env(), facts), ["CS-NVIDIA-REQUIRE-CUDA-MISSING"]);
  assert.deepEqual(ids(env("NVIDIA_REQUIRE_CUDA=cuda>=11.8"), facts), ["CS-NVIDIA-REQUIRE-CUDA-MISMATCH"]);
  assert.deepEqual(ids(env("NVIDIA_REQUIRE_CUDA=cuda>=12.6 brand=tesla,driver>=470"), facts), [
    "CS-NVIDIA-REQUIRE-CUDA-MISMATCH",
  ]);
  assert.deepEqual(ids(env("NVIDIA_REQUIRE_CUDA=cuda>=12.4 brand=tesla,driver>=470"), facts), []);
  assert.deepEqual(ids({ Env: ["NVIDIA_REQUIRE_CUDA=cuda>=12.4"] }, facts), ["CS-NVIDIA-ENV-MISSING"]);
  // Without libcudart in the image none of this applies, but capabilities=all still does.
  assert.deepEqual(ids({ Env: ["NVIDIA_DRIVER_CAPABILITIES=all"] }), ["CS-NVIDIA-CAPABILITIES-ALL"]);
});

test("more than 127 layers; floating and pinned base names; services without HEALTHCHECK", () => {
  assert.deepEqual(ids({}, { cudart: { present: false }, layers: 128 }), ["CS-LAYERS-TOO-MANY"]);
  const base = (name: string, extra: Record<string, string> = {}) =>
    ids({ Labels: { ...LABELS, "org.opencontainers.image.base.name": name, ...extra } });
  assert.deepEqual(base("registry.example/nvidia/cuda"), ["CS-BASE-LATEST"]);
  assert.deepEqual(base("localhost:5000/cuda:latest"), ["CS-BASE-LATEST"]);
  assert.deepEqual(base("nvidia/cuda:12.4.1-runtime-ubuntu22.04"), []);
  assert.deepEqual(base("nvidia/cuda:latest", { "org.opencontainers.image.base.digest": "sha256:00" }), []);
  assert.deepEqual(ids({ ExposedPorts: { "8000/tcp": {} } }), ["CS-HEALTHCHECK-MISSING"]);
  assert.deepEqual(ids({ ExposedPorts: { "8000/tcp": {} }, Healthcheck: { Test: ["CMD", "/hc"] } }), []);
  assert.deepEqual(ids({ ExposedPorts: { "8000/tcp": {} }, Healthcheck: { Test: ["NONE"] } }), [
    "CS-HEALTHCHECK-MISSING",
  ]);
});

test("created: missing or the epoch is its own finding", () => {
  const f = checkConfig(
    { config: { User: "1", Labels: LABELS } },
    { cudart: { present: false }, layers: 1 },
    { now: NOW },
  );
  assert.deepEqual(
    f.map((x) => x.id),
    ["CS-IMAGE-CREATED-MISSING"],
  );
});

test("secrets in labels and in URLs in Env are found by pattern; public and placeholder values are not", () => {
  const token = `ghp_${"Lb3lT0kQ9z".repeat(4).slice(0, 36)}`;
  const password = ["s3", "cr3t", "Pa55", "w0rd"].join("");
  assert.deepEqual(ids({ Labels: { ...LABELS, "com.example.deploy-token": token } }), ["CS-SECRET-LABEL"]);
  assert.deepEqual(ids({ Env: [`PIP_INDEX_URL=https://ci:${password}@pypi.internal/simple`] }), [
    "CS-SECRET-ENV",
  ]);
  assert.deepEqual(
    ids({
      Env: [
        "DB_PASSWORD=",
        "API_KEY=$(cat /run/secrets/key)",
        "HF_TOKEN_FILE=/run/secrets/hf",
        "GPG_KEY=A035C8C1",
      ],
    }),
    [],
  );
});
