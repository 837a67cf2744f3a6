// A multi-stage build without a Dockerfile, from the real Debian archive
// (amd64): build cuda-devel; compile a CUDA program with its nvcc under
// `cudaseal run`, as the image's user (65532) and as root, into a mounted
// folder; build a runtime image of cuda-runtime and that binary, which the
// link check passes; run it on a machine without a GPU and see it say so
// and exit as it should. Skips where this machine's apt sources name no
// Debian mirror or `cudaseal run` has no privileges. The .debs (about 2 GB)
// go to the default cache folder, shared with every other build here, so a
// second run downloads nothing.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { readSystemMirrors } from "../../src/apt/system-sources.ts";
import { unavailable } from "../run/fixture.ts";

const BIN = join(import.meta.dirname, "../../bin/cudaseal.js");

/** Exit code and message of the program when no GPU answers. */
const NO_GPU_EXIT = 3;
const PROGRAM = String.raw`#include <cstdio>
#include <cuda_runtime.h>

__global__ void increment(int *x) { *x += 1; }

int main() {
  int devices = 0;
  cudaError_t err = cudaGetDeviceCount(&devices);
  if (err != cudaSuccess || devices == 0) {
    printf("no GPU: %s\n", err != cudaSuccess ? cudaGetErrorString(err) : "no device");
    return ${NO_GPU_EXIT};
  }
  int *d = nullptr, h = 41;
  cudaMalloc(&d, sizeof h);
  cudaMemcpy(d, &h, sizeof h, cudaMemcpyHostToDevice);
  increment<<<1, 1>>>(d);
  cudaMemcpy(&h, d, sizeof h, cudaMemcpyDeviceToHost);
  printf("gpu: %d devices, 41+1=%d\n", devices, h);
  return h == 42 ? 0 : 1;
}
`;

interface Ran {
  status: number;
  stdout: string;
  stderr: string;
}

/** The CLI, not blocking the event loop (builds take minutes). */
function cudaseal(args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ status: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function ok(args: string[]): Promise<string> {
  const r = await cudaseal(args);
  assert.equal(r.status, 0, `cudaseal ${args.join(" ")}\n${r.stderr}`);
  return r.stdout;
}

const skip = !readSystemMirrors().debian
  ? "this machine's apt sources name no Debian mirror"
  : process.arch !== "x64"
    ? "the flow is built for amd64"
    : await unavailable();

describe("a builder image compiles a CUDA program that a runtime image then runs", {
  skip,
  timeout: 3_600_000,
}, () => {
  let work: string;
  let src: string;
  const devel = () => `oci:${join(work, "devel")}:latest`;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "cudaseal-multistage-"));
    src = join(work, "src");
    mkdirSync(src);
    // The image's user (65532) writes the binary here.
    chmodSync(src, 0o777);
    writeFileSync(join(src, "k.cu"), PROGRAM);
    const summary = JSON.parse(
      await ok([
        "build",
        "--preset",
        "cuda-devel",
        "--arch",
        "amd64",
        "--compression",
        "zstd",
        "--json",
        "-o",
        devel(),
      ]),
    );
    assert.deepEqual(summary.platforms[0].link.waived, [], "cuda-devel waives nothing");
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  const nvcc = (out: string, ...user: string[]) => [
    "run",
    "--quiet",
    ...user,
    "-v",
    `${src}:/work`,
    "--entrypoint",
    "/usr/bin/nvcc",
    devel(),
    "--",
    "-cudart",
    "shared",
    "-o",
    `/work/${out}`,
    "/work/k.cu",
  ];

  test("nvcc compiles k.cu as the image's user, and as root", async () => {
    await ok(nvcc("k"));
    assert.ok(existsSync(join(src, "k")));
    await ok(nvcc("k-root", "-u", "0:0"));
    assert.ok(existsSync(join(src, "k-root")));
  });

  test("the runtime image of cuda-runtime and the binary passes the link check and reports no GPU", async () => {
    const spec = join(work, "app.yaml");
    writeFileSync(
      spec,
      [
        "include: preset:cuda-runtime",
        "name: cuda-k",
        "contents:",
        `  - { source: ${join(src, "k")}, destination: /usr/local/bin/k, mode: "0755" }`,
        "entrypoint: [/usr/local/bin/k]",
        "",
      ].join("\n"),
    );
    const app = `oci:${join(work, "app")}:latest`;
    const summary = JSON.parse(
      await ok(["build", spec, "--arch", "amd64", "--compression", "zstd", "--json", "-o", app]),
    );
    const link = summary.platforms[0].link;
    assert.deepEqual(link.waived, []);
    assert.ok(link.cacheEntries > 0 && link.filesChecked > 0);
    // No --gpus: libcuda.so.1 is not there, and the runtime says so; the program reports it and exits 3.
    const run = await cudaseal(["run", "--quiet", app]);
    assert.equal(run.status, NO_GPU_EXIT, run.stderr);
    assert.match(run.stdout, /^no GPU: \S/);
  });
});
