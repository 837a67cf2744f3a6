// The presets on NVIDIA's CUDA repository: valid, non-root unless -dev, and
// written in terms of cuda: so that one line of a spec moves them to another
// CUDA version.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { PackageRecord } from "../../src/apt/types.ts";
import { expandCudaPackages } from "../../src/resolve/cuda-packages.ts";
import { loadSpec } from "../../src/spec/load.ts";
import { listPresets } from "../../src/spec/presets.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const presets = listPresets();
const preset = (name: string) => {
  const p = presets.find((x) => x.name === name);
  assert.ok(p, name);
  return p;
};

test("the NVIDIA presets and cuda-pytorch run as 65532, their -dev variants as root with a shell", () => {
  for (const name of ["nvidia-cuda-base", "nvidia-cuda-runtime", "nvidia-cudnn-runtime", "cuda-pytorch"]) {
    assert.equal(preset(name).spec.accounts?.runAs, "65532:65532", name);
    const dev = preset(`${name}-dev`);
    assert.equal(dev.spec.accounts?.runAs, "0:0");
    assert.ok(dev.packages.includes("bash"));
  }
});

test("the NVIDIA presets take their packages from NVIDIA's repository for the cuda: version", () => {
  for (const name of ["nvidia-cuda-base", "nvidia-cuda-runtime", "nvidia-cudnn-runtime"]) {
    const spec = preset(name).spec;
    assert.deepEqual(spec.sources, ["nvidia-cuda"], name);
    assert.equal(spec.cuda, "12.8");
  }
  assert.equal(preset("nvidia-cudnn-runtime").spec.cudnn, 9);
  // Expanded against an index that publishes 13.0, the runtime preset names 13-0 packages only.
  const record = (name: string) =>
    ({ name, version: "1-1", arch: "amd64", provides: [] }) as unknown as PackageRecord;
  const available = new Map([["amd64", [record("cuda-cudart-12-8"), record("cuda-cudart-13-0")]]]);
  const runtime = preset("nvidia-cudnn-runtime");
  const expanded = expandCudaPackages(runtime.packages, { cuda: "13.0", cudnn: 9 }, available);
  const nvidia = expanded.filter((p) => /cuda|cublas|cufft|curand|cusolver|cusparse|nvjitlink|cudnn/.test(p));
  assert.deepEqual(nvidia.sort(), [
    "cuda-cudart-13-0",
    "cuda-nvrtc-13-0",
    "cuda-nvtx-13-0",
    "cuda-toolkit-13-0-config-common",
    "cuda-toolkit-13-config-common",
    "cuda-toolkit-config-common",
    "libcublas-13-0",
    "libcudnn9-cuda-13",
    "libcufft-13-0",
    "libcurand-13-0",
    "libcusolver-13-0",
    "libcusparse-13-0",
    "libnvjitlink-13-0",
  ]);
});

test("cuda-pytorch replaces Debian's script-fetched nvidia-cudnn by NVIDIA's libcudnn9-cuda-12, at a low priority", () => {
  const p = preset("cuda-pytorch");
  assert.ok(p.packages.includes("python3-torch-cuda"));
  assert.ok(p.packages.includes("libcudnn9-cuda-12"));
  assert.ok(p.packages.includes("libnccl2"));
  assert.ok(p.spec.provided?.includes("nvidia-cudnn"));
  assert.deepEqual(p.spec.sources, [{ name: "nvidia-cuda", priority: 100 }]);
  assert.equal(p.spec.cuda, undefined, "cuda: would add NVIDIA's cudart beside Debian's");
});

test("examples/pytorch-inference.yaml loads on cuda-pytorch, with its script as the entrypoint", () => {
  const { spec } = loadSpec(join(ROOT, "examples/pytorch-inference.yaml"));
  assert.ok(spec.packages?.includes("python3-torch-cuda"));
  assert.deepEqual(spec.entrypoint, ["/usr/bin/python3", "/app/infer.py"]);
  const script = spec.contents?.find((c) => c.destination === "/app/infer.py")?.source;
  assert.ok(script && existsSync(script), "the script named in contents is missing");
  // Python itself checks the script compiles.
  execFileSync("python3", ["-c", "import ast, sys; ast.parse(open(sys.argv[1]).read())", script]);
});
