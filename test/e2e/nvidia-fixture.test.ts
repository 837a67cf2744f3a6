// The test copy of NVIDIA's CUDA repository (test/helpers/nvidia-repo.ts)
// has the shape the NVIDIA tests rely on: a flat, signed repository that
// cudaseal's apt reader takes as it takes NVIDIA's, packages with NVIDIA's
// names, versions, layout and DT_NEEDED, and a probe program that runs only
// where the loader can find every library it links.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { readSources } from "../../src/apt/repository.ts";
import type { PackageRecord } from "../../src/apt/types.ts";
import { packageUrl } from "../../src/resolve/lock.ts";
import { compileCudaProbe, librarySet, type NvidiaRepo, startNvidiaRepo } from "../helpers/nvidia-repo.ts";
import { tempStore } from "../helpers/store.ts";

const run = promisify(execFile);

/** `key=value` lines of a program's output. */
function facts(stdout: string): Record<string, string> {
  return Object.fromEntries(
    stdout
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}

/** The DT_NEEDED entries of an ELF file, by readelf. */
async function needed(path: string): Promise<string[]> {
  const { stdout } = await run("readelf", ["-d", "-W", path]);
  return [...stdout.matchAll(/\(NEEDED\)\s+Shared library: \[(.+)\]/g)].map((m) => m[1]);
}

describe("the test NVIDIA CUDA repository", { timeout: 180_000 }, () => {
  let repo: NvidiaRepo;
  let work: string;
  before(async () => {
    repo = await startNvidiaRepo({ distributions: ["debian12", "debian13"] });
    work = await mkdtemp(join(tmpdir(), "cudaseal-nvidia-fixture-"));
  });
  after(async () => {
    await repo?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test("is a flat repository per distribution that cudaseal reads, verifies and downloads from", async (t) => {
    const s = await tempStore();
    t.after(() => s.remove());
    const index = await readSources(
      [
        {
          uri: repo.url,
          suites: ["debian13/x86_64/"],
          components: [],
          keyring: [repo.publicKeyPath],
          priority: 500,
        },
      ],
      { arches: ["amd64"], store: s.store },
    );
    assert.equal(index.suites[0].signer, repo.key.fingerprint);
    const records: PackageRecord[] = index.available.get("amd64")?.records() ?? [];
    const versions = (name: string) =>
      records
        .filter((r) => r.name === name)
        .map((r) => r.version)
        .sort();
    assert.deepEqual(versions("cuda-cudart-12-8"), ["12.8.90-1"]);
    assert.deepEqual(versions("cuda-cudart-13-0"), ["13.0.48-1"]);
    assert.deepEqual(versions("libnccl2"), ["2.25.1-1+cuda12.8", "2.26.5-1+cuda12.9", "2.27.3-1+cuda13.0"]);
    assert.deepEqual(versions("libcudnn9-cuda-12"), ["9.10.2.21-1", "9.8.0.87-1"]);
    // The config packages are Architecture: all and come in every published version.
    assert.deepEqual(versions("cuda-toolkit-config-common"), ["12.8.90-1", "12.9.79-1", "13.0.48-1"]);
    const cudart = records.find((r) => r.name === "cuda-cudart-12-8")!;
    assert.equal(packageUrl(cudart), `${repo.url}/debian13/x86_64/cuda-cudart-12-8_12.8.90-1_amd64.deb`);
    assert.equal(repo.count("/debian12/x86_64/InRelease"), 0);
    const { stdout } = await run("curl", ["-sf", `${repo.url}/debian12/x86_64/Release`]);
    assert.match(stdout, /^Origin: NVIDIA\nLabel: NVIDIA CUDA\n/);
    assert.doesNotMatch(stdout, /^(Suite|Codename|Components):/m);
  });

  test("its libraries carry the real sonames and link each other as NVIDIA's do", async () => {
    const lib12 = await librarySet("12.8");
    assert.deepEqual(await needed(join(lib12, "libcusolver.so.11")), [
      "libcublas.so.12",
      "libcublasLt.so.12",
      "libcusparse.so.12",
      "libnvJitLink.so.12",
      "libc.so.6",
    ]);
    assert.deepEqual(await needed(join(lib12, "libcusparse.so.12")), ["libnvJitLink.so.12", "libc.so.6"]);
    assert.deepEqual(await needed(join(lib12, "libcudnn_cnn.so.9")), ["libcudnn_graph.so.9", "libc.so.6"]);
    const lib13 = await librarySet("13.0");
    assert.deepEqual(await needed(join(lib13, "libcusolver.so.12")), [
      "libcublas.so.13",
      "libcublasLt.so.13",
      "libcusparse.so.12",
      "libnvJitLink.so.13",
      "libc.so.6",
    ]);
    const { stdout } = await run("readelf", ["-d", "-W", join(lib13, "libcufft.so.12")]);
    assert.match(stdout, /\(SONAME\)\s+Library soname: \[libcufft\.so\.12\]/);
  });

  test("the probe links cudart, cuBLAS, cuDNN and NCCL with no rpath and runs only where they are found", async () => {
    const probe = await compileCudaProbe("12.8", work);
    const { stdout } = await run("readelf", ["-d", "-W", probe.path]);
    assert.doesNotMatch(stdout, /R(UN)?PATH/);
    assert.deepEqual(await needed(probe.path), [
      "libcudart.so.12",
      "libcublas.so.12",
      "libcudnn.so.9",
      "libnccl.so.2",
      "libc.so.6",
    ]);
    await assert.rejects(run(probe.path), /libcudart\.so\.12: cannot open shared object file/);
    const lib12 = await librarySet("12.8");
    const ran = await run(probe.path, { env: { LD_LIBRARY_PATH: lib12 } });
    const got = facts(ran.stdout);
    // Linked against the 12.8 set, which carries cuDNN 9.8 and NCCL 2.25.1.
    assert.equal(got.cudart, probe.expected.cudart);
    assert.equal(got.cublas, "12080");
    assert.equal(got.cudnn, "90800");
    assert.equal(got.nccl, probe.expected.nccl);
    assert.equal(got.cudart_path, join(lib12, "libcudart.so.12"));
  });

  test("a library's own dependency missing stops the probe at load, naming it", async () => {
    // libcublasLt taken away from a copy of the 12.8 set: the probe does not
    // link it, libcublas does.
    const lib12 = await librarySet("12.8");
    const copy = join(work, "partial");
    await run("cp", ["-a", lib12, copy]);
    await rm(join(copy, "libcublasLt.so.12"));
    const probe = await compileCudaProbe("12.8", work);
    await assert.rejects(run(probe.path, { env: { LD_LIBRARY_PATH: copy } }), /libcublasLt\.so\.12/);
  });
});
