// Live: `cudaseal lock --preset cuda-pytorch` against the real Debian archive
// (this machine's configured mirror) plus the test copy of NVIDIA's CUDA
// repository. Debian's python3-torch-cuda reaches cuDNN through
// nvidia-cudnn, which fetches it in a maintainer script; the preset takes
// NVIDIA's libcudnn9-cuda-12 instead, and keeps Debian's own CUDA libraries
// and NCCL, built for the same CUDA as PyTorch, over NVIDIA's newer builds.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { readSystemMirrors } from "../../src/apt/system-sources.ts";
import { runCli } from "../helpers/cli.ts";
import { startNvidiaRepo } from "../helpers/nvidia-repo.ts";

interface Locked {
  name: string;
  version: string;
  repository?: string;
}

test("cudaseal lock --preset cuda-pytorch takes cuDNN from NVIDIA's repository and the rest from Debian", {
  timeout: 600_000,
}, async (t) => {
  if (!readSystemMirrors().debian) {
    t.skip("this machine's apt sources name no Debian mirror");
    return;
  }
  const nvidia = await startNvidiaRepo();
  const dir = mkdtempSync(join(tmpdir(), "cudaseal-pytorch-lock-"));
  t.after(async () => {
    await nvidia.close();
    await rm(dir, { recursive: true, force: true });
  });
  const lockPath = join(dir, "lock.json");
  // The default cache: the real archive's indexes are shared with other runs.
  const r = await runCli([
    "lock",
    "--preset",
    "cuda-pytorch",
    "--arch",
    "amd64",
    "--nvidia-mirror",
    nvidia.url,
    "--keyring",
    nvidia.publicKeyPath,
    "-o",
    lockPath,
  ]);
  assert.equal(r.status, 0, r.stderr);
  const packages: Locked[] = JSON.parse(readFileSync(lockPath, "utf8")).arches.amd64;
  const byName = new Map(packages.map((p) => [p.name, p]));
  const fromNvidia = packages.filter((p) => p.repository?.startsWith(nvidia.url)).map((p) => p.name);

  // Only what Debian lacks comes from NVIDIA: cuDNN for CUDA 12, its newest build.
  assert.deepEqual(fromNvidia, ["libcudnn9-cuda-12"]);
  assert.equal(byName.get("libcudnn9-cuda-12")?.version, "9.10.2.21-1");
  assert.ok(!byName.has("nvidia-cudnn"), "the script-fetched nvidia-cudnn is in the lock");
  for (const name of ["python3-torch-cuda", "libtorch-cuda-2.6", "libcudart12", "libnccl2", "libcublas12"]) {
    const p = byName.get(name);
    assert.ok(p, `${name} is not in the lock`);
    assert.ok(!p.repository?.startsWith(nvidia.url), `${name} came from NVIDIA's repository`);
  }
  // Debian's NCCL is built for Debian's CUDA, not one of NVIDIA's +cudaX.Y builds.
  assert.doesNotMatch(byName.get("libnccl2")!.version, /\+cuda/);
  assert.ok(!packages.some((p) => /^cuda-cudart-\d+-\d+$/.test(p.name)), "NVIDIA's cudart beside Debian's");
});
