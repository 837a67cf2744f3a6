// How the Python layers are planned and what the config gets: big wheels a
// layer each (largest kept alone first when there are too many), the rest
// in one shared layer, in an order that does not depend on the lock's; a
// venv target's bin first on PATH, and /app the working directory.

import assert from "node:assert/strict";
import { test } from "node:test";
import { planWheelLayers, pythonRuntimeSpec } from "../../src/build/python-layers.ts";
import type { ChosenWheel } from "../../src/python/index.ts";

const MiB = 1024 * 1024;

function wheel(name: string, size: number): ChosenWheel {
  return { name, version: "1", filename: `${name}-1-py3-none-any.whl`, url: "", sha256: name, size };
}

test("wheels of the threshold or more get layers of their own, by name; the rest share one", () => {
  const wheels = [
    wheel("torch", 800 * MiB),
    wheel("six", 1 * MiB),
    wheel("nvidia-cublas-cu12", 400 * MiB),
    wheel("idna", 64 * MiB - 1),
  ];
  const plan = planWheelLayers(wheels, 64 * MiB);
  assert.deepEqual(
    plan.map((g) => [g.name, g.wheels.map((w) => w.name)]),
    [
      ["python:nvidia-cublas-cu12", ["nvidia-cublas-cu12"]],
      ["python:torch", ["torch"]],
      ["python", ["idna", "six"]],
    ],
  );
  assert.deepEqual(planWheelLayers([...wheels].reverse(), 64 * MiB), plan);
});

test("more big wheels than layers allow: the largest stay alone, the others join the shared layer", () => {
  const wheels = Array.from({ length: 50 }, (_, i) =>
    wheel(`w${String(i).padStart(2, "0")}`, (100 + i) * MiB),
  );
  const plan = planWheelLayers(wheels, 64 * MiB);
  assert.equal(plan.length, 49);
  assert.deepEqual(
    plan.at(-1)?.wheels.map((w) => w.name),
    ["w00", "w01"],
  );
});

test("with no wheels there is no wheel layer", () => {
  assert.deepEqual(planWheelLayers([], 64 * MiB), []);
});

test("a venv target puts its bin first on PATH and sets VIRTUAL_ENV; a project makes /app the working directory", () => {
  const venv = pythonRuntimeSpec({ python: { lock: "uv.lock", project: "app", target: "venv:/opt/venv" } });
  assert.equal(venv.workdir, "/app");
  assert.equal(venv.env?.VIRTUAL_ENV, "/opt/venv");
  assert.match(venv.env?.PATH ?? "", /^\/opt\/venv\/bin:\/usr\/local\/sbin:/);
  const system = pythonRuntimeSpec({ python: { lock: "uv.lock" }, workdir: "/srv", env: { A: "1" } });
  assert.equal(system.workdir, "/srv");
  assert.deepEqual(system.env, { A: "1" });
  const own = pythonRuntimeSpec({
    python: { lock: "uv.lock", target: "venv:/opt/venv" },
    env: { PATH: "/x" },
  });
  assert.equal(own.env?.PATH, "/x");
});
