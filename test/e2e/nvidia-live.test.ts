// Live: the NVIDIA presets against the real Debian archive (this machine's
// configured mirror; skipped without one) plus the test copy of NVIDIA's
// CUDA repository, through the CLI as a user runs it.
//
// cuda-pytorch: Debian's python3-torch-cuda reaches cuDNN through
// nvidia-cudnn, which fetches it in a maintainer script; the preset takes
// NVIDIA's libcudnn9-cuda-12 instead, and keeps Debian's own CUDA libraries
// and NCCL, built for the same CUDA as PyTorch, over NVIDIA's newer builds.
// nvidia-cudnn-runtime: Debian's base and NVIDIA's libraries in one image
// that passes the link check with nothing waived, for 12.8 and, by one line
// of a spec, 13.0.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { readSystemMirrors } from "../../src/apt/system-sources.ts";
import { runCli } from "../helpers/cli.ts";
import { type NvidiaRepo, startNvidiaRepo } from "../helpers/nvidia-repo.ts";

interface Locked {
  name: string;
  version: string;
  repository?: string;
}

const mirror = readSystemMirrors().debian;

describe("NVIDIA presets on the real Debian archive", {
  skip: mirror ? false : "this machine's apt sources name no Debian mirror",
  timeout: 1_200_000,
}, () => {
  let nvidia: NvidiaRepo;
  let dir: string;
  before(async () => {
    nvidia = await startNvidiaRepo();
    dir = mkdtempSync(join(tmpdir(), "cudaseal-nvidia-live-"));
  });
  after(async () => {
    await nvidia?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The CLI with the fixture as NVIDIA's repository; the default cache, so the real archive's downloads are shared. */
  const cli = (...args: string[]) =>
    runCli([...args, "--arch", "amd64", "--nvidia-mirror", nvidia.url, "--keyring", nvidia.publicKeyPath]);

  const lockOf = (path: string): Locked[] => JSON.parse(readFileSync(path, "utf8")).arches.amd64;

  test("cudaseal lock --preset cuda-pytorch takes cuDNN from NVIDIA's repository and the rest from Debian", async () => {
    const lockPath = join(dir, "pytorch.lock.json");
    const r = await cli("lock", "--preset", "cuda-pytorch", "-o", lockPath);
    assert.equal(r.status, 0, r.stderr);
    const packages = lockOf(lockPath);
    const byName = new Map(packages.map((p) => [p.name, p]));
    const fromNvidia = packages.filter((p) => p.repository?.startsWith(nvidia.url)).map((p) => p.name);

    // Only what Debian lacks comes from NVIDIA: cuDNN for CUDA 12, its newest build.
    assert.deepEqual(fromNvidia, ["libcudnn9-cuda-12"]);
    assert.equal(byName.get("libcudnn9-cuda-12")?.version, "9.10.2.21-1");
    assert.ok(!byName.has("nvidia-cudnn"), "the script-fetched nvidia-cudnn is in the lock");
    for (const name of [
      "python3-torch-cuda",
      "libtorch-cuda-2.6",
      "libcudart12",
      "libnccl2",
      "libcublas12",
    ]) {
      const p = byName.get(name);
      assert.ok(p, `${name} is not in the lock`);
      assert.ok(!p.repository?.startsWith(nvidia.url), `${name} came from NVIDIA's repository`);
    }
    // Debian's NCCL is built for Debian's CUDA, not one of NVIDIA's +cudaX.Y builds.
    assert.doesNotMatch(byName.get("libnccl2")!.version, /\+cuda/);
    assert.ok(!packages.some((p) => /^cuda-cudart-\d+-\d+$/.test(p.name)), "NVIDIA's cudart beside Debian's");
  });

  test("nvidia-cudnn-runtime builds and passes the link check for 12.8, and for 13.0 by one line of a spec", async () => {
    const env = (layout: string): string[] =>
      JSON.parse(
        execFileSync("skopeo", ["inspect", "--config", `oci:${layout}:latest`], { encoding: "utf8" }),
      ).config.Env;
    const out12 = join(dir, "cudnn-runtime");
    const lock12 = join(dir, "cudnn-runtime.lock.json");
    const r12 = await cli(
      "build",
      "--preset",
      "nvidia-cudnn-runtime",
      "--json",
      "--write-lock",
      lock12,
      "-o",
      `oci:${out12}:latest`,
    );
    assert.equal(r12.status, 0, r12.stderr);
    assert.ok(env(out12).includes("NVIDIA_REQUIRE_CUDA=cuda>=12.8"));
    const names12 = lockOf(lock12).map((p) => p.name);
    for (const name of [
      "libcublas-12-8",
      "libcusolver-12-8",
      "libnvjitlink-12-8",
      "libcudnn9-cuda-12",
      "libc6",
    ])
      assert.ok(names12.includes(name), name);

    const spec = join(dir, "cuda13.yaml");
    writeFileSync(spec, 'include: preset:nvidia-cudnn-runtime\nname: cuda13\ncuda: "13.0"\nnccl: true\n');
    const out13 = join(dir, "cuda13");
    const lock13 = join(dir, "cuda13.lock.json");
    const r13 = await cli("build", spec, "--json", "--write-lock", lock13, "-o", `oci:${out13}:latest`);
    assert.equal(r13.status, 0, r13.stderr);
    assert.ok(env(out13).includes("NVIDIA_REQUIRE_CUDA=cuda>=13.0"));
    const locked13 = lockOf(lock13);
    assert.equal(locked13.find((p) => p.name === "libnccl2")?.version, "2.27.3-1+cuda13.0");
    assert.ok(locked13.some((p) => p.name === "libcudnn9-cuda-13"));
    assert.ok(!locked13.some((p) => /-12-8$|cuda-12$/.test(p.name)), "a CUDA 12 package in the 13.0 image");
  });
});
