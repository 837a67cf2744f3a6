// End to end on NVIDIA's CUDA repository: `cudaseal build` of specs that
// name the nvidia-cuda source (the test copy of NVIDIA's flat repository,
// test/helpers/nvidia-repo.ts, beside a Debian-shaped repository holding
// this machine's glibc), through the CLI as a user runs it. The image's
// program is linked against cudart, cuBLAS, cuDNN and NCCL with no rpath:
// it starts under `cudaseal run` only if the generated /etc/ld.so.cache
// leads the loader to NVIDIA's directories. That cache is compared with
// Debian's own ldconfig on the unpacked image; the link check and the CUDA
// version choice refuse what they must, writing nothing.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type AptRepo, startAptRepo } from "../helpers/apt-repo.ts";
import { runCli } from "../helpers/cli.ts";
import {
  type CudaProbe,
  compileCudaProbe,
  debianBasePackages,
  type NvidiaRepo,
  startNvidiaRepo,
} from "../helpers/nvidia-repo.ts";
import { cudasealRun, unavailable } from "../run/fixture.ts";

const PROBE_PATH = "/usr/local/bin/cuda-probe";

describe("cudaseal build from NVIDIA's CUDA repository", { timeout: 900_000 }, () => {
  let work: string;
  let cacheDir: string;
  let debian: AptRepo;
  let nvidia: NvidiaRepo;
  let probe12: CudaProbe;
  let probe13: CudaProbe;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "cudaseal-nvidia-e2e-"));
    cacheDir = join(work, "cache");
    [debian, nvidia] = await Promise.all([
      debianBasePackages().then((packages) => startAptRepo({ packages })),
      startNvidiaRepo(),
    ]);
    probe12 = await compileCudaProbe("12.8", work);
    // A second probe, linked against 13.0's sonames, in its own folder.
    const dir13 = join(work, "probe13");
    execFileSync("mkdir", [dir13]);
    probe13 = await compileCudaProbe("13.0", dir13);
  });
  after(async () => {
    await Promise.all([debian?.close(), nvidia?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** A spec on both repositories; `body` adds cuda:, packages… */
  function writeSpec(name: string, body: string): string {
    const path = join(work, `${name}.yaml`);
    writeFileSync(
      path,
      `name: ${name}\n` +
        "sources:\n" +
        `  - uri: ${debian.url}\n    suites: [trixie]\n    components: [main]\n    keyring: [${debian.publicKeyPath}]\n` +
        `  - name: nvidia-cuda\n    url: ${nvidia.url}\n    keyring: [${nvidia.publicKeyPath}]\n` +
        body,
    );
    return path;
  }

  /** `cudaseal build --json` of a spec into oci:OUT:latest; the summary, or the error's JSON. */
  async function build(spec: string, out: string, ...extra: string[]) {
    const r = await runCli([
      "build",
      spec,
      "--arch",
      "amd64",
      "--cache-dir",
      cacheDir,
      "--json",
      "-o",
      `oci:${out}:latest`,
      ...extra,
    ]);
    const json = r.stdout.trim() ? JSON.parse(r.stdout) : {};
    return { ...r, json };
  }

  /** The image unpacked by umoci into a bundle; its rootfs. */
  function unpack(layout: string, name: string): string {
    const bundle = join(work, `bundle-${name}`);
    execFileSync("umoci", ["unpack", "--rootless", "--image", `${layout}:latest`, bundle], { stdio: "pipe" });
    return join(bundle, "rootfs");
  }

  /** The lock the build used, by package name. */
  function lockedPackages(lockPath: string): Map<string, { version: string; repository?: string }> {
    const lock = JSON.parse(readFileSync(lockPath, "utf8"));
    return new Map(lock.arches.amd64.map((p: { name: string }) => [p.name, p]));
  }

  const probeContents = (probe: CudaProbe) =>
    `contents:\n  - source: ${probe.path}\n    destination: ${PROBE_PATH}\n    mode: "0755"\n` +
    `entrypoint: [${PROBE_PATH}]\n`;

  test("cuda 12.8 with cuDNN 9 and NCCL: the probe finds every library through the generated cache", async (t) => {
    const spec = writeSpec(
      "cuda128",
      'cuda: "12.8"\ncudnn: 9\nnccl: true\npackages:\n  - libc6\n  - cuda-cudart-{cuda}\n  - libcublas-{cuda}\n' +
        probeContents(probe12),
    );
    const out = join(work, "cuda128");
    const lockPath = join(work, "cuda128.lock.json");
    const r = await build(spec, out, "--write-lock", lockPath);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.json.digest, /^sha256:[0-9a-f]{64}$/);

    const locked = lockedPackages(lockPath);
    assert.equal(locked.get("cuda-cudart-12-8")?.version, "12.8.90-1");
    assert.equal(locked.get("libcublas-12-8")?.version, "12.8.4.1-1");
    // NCCL: the build for exactly 12.8, not the newer ones for 12.9 and 13.0.
    assert.equal(locked.get("libnccl2")?.version, "2.25.1-1+cuda12.8");
    // cuDNN: the newest built for CUDA 12, whatever minor it came with.
    assert.equal(locked.get("libcudnn9-cuda-12")?.version, "9.10.2.21-1");
    assert.match(locked.get("libcudnn9-cuda-12")?.repository ?? "", new RegExp(nvidia.url));
    assert.match(locked.get("libc6")?.repository ?? "", new RegExp(debian.url));

    const root = unpack(out, "cuda128");
    assert.ok(existsSync(join(root, "etc/ld.so.cache")), "no /etc/ld.so.cache in the image");
    assert.ok(existsSync(join(root, "etc/ld.so.conf.d/000_cuda.conf")));
    // update-alternatives of cuda-toolkit-12-8-config-common, done without running it.
    assert.equal(
      execFileSync("readlink", [join(root, "usr/local/cuda")], { encoding: "utf8" })
        .trim()
        .replace(/^\/usr\/local\//, ""),
      "cuda-12.8",
    );
    const config = JSON.parse(
      execFileSync("skopeo", ["inspect", "--config", `oci:${out}:latest`], { encoding: "utf8" }),
    );
    const env: string[] = config.config.Env ?? [];
    assert.ok(!env.some((e) => e.startsWith("LD_LIBRARY_PATH=")), "the image leans on LD_LIBRARY_PATH");
    assert.ok(env.includes("NVIDIA_REQUIRE_CUDA=cuda>=12.8"), env.join(" "));

    const why = await unavailable();
    if (why) {
      t.diagnostic(`not run under cudaseal run: ${why}`);
      return;
    }
    const ran = cudasealRun(cacheDir, [`oci:${out}:latest`]);
    assert.equal(ran.status, 0, ran.stderr);
    const { cudart_path, ...versions } = ran.facts;
    assert.deepEqual(versions, { ...probe12.expected, cudnn: "91002" });
    assert.match(
      cudart_path,
      /^\/usr\/local\/cuda(-12|-12\.8)?\/targets\/x86_64-linux\/lib\/libcudart\.so\.12$/,
    );
  });

  test("the generated ld.so.cache lists what Debian's ldconfig lists for the same tree", async (t) => {
    const layout = join(work, "cuda128");
    if (!existsSync(layout)) {
      t.skip("the 12.8 build did not run");
      return;
    }
    const root = unpack(layout, "ldconfig");
    // -X: make no links; with -r the cache path is inside the root.
    execFileSync("/sbin/ldconfig", ["-X", "-r", root, "-C", "/debian-ld.so.cache"]);
    const listing = (file: string) =>
      execFileSync("/sbin/ldconfig", ["-p", "-C", file], { encoding: "utf8" })
        .split("\n")
        // The count's line names the file, the last says which program wrote it.
        .filter((line) => line.startsWith("\t"))
        .join("\n");
    const ours = listing(join(root, "etc/ld.so.cache"));
    const theirs = listing(join(root, "debian-ld.so.cache"));
    assert.equal(ours, theirs);
    assert.match(ours, /libcudart\.so\.12 \(libc6,x86-64\) => \/usr\/local\/cuda/);
    assert.match(
      ours,
      /libnccl\.so\.2 \(libc6,x86-64\) => (\/usr)?\/lib\/x86_64-linux-gnu\/libnccl\.so\.2\n/,
    );
    const same = readFileSync(join(root, "etc/ld.so.cache")).equals(
      readFileSync(join(root, "debian-ld.so.cache")),
    );
    t.diagnostic(`byte-identical to Debian's ldconfig: ${same}`);
  });

  test("cuda 13.0: the same spec with one line changed installs 13.0's libraries and the probe built for them runs", async () => {
    const spec = writeSpec(
      "cuda130",
      'cuda: "13.0"\ncudnn: 9\nnccl: true\npackages:\n  - libc6\n  - cuda-cudart-{cuda}\n  - libcublas-{cuda}\n' +
        probeContents(probe13),
    );
    const out = join(work, "cuda130");
    const lockPath = join(work, "cuda130.lock.json");
    const r = await build(spec, out, "--write-lock", lockPath);
    assert.equal(r.status, 0, r.stderr);
    const locked = lockedPackages(lockPath);
    assert.equal(locked.get("cuda-cudart-13-0")?.version, "13.0.48-1");
    assert.equal(locked.get("libnccl2")?.version, "2.27.3-1+cuda13.0");
    assert.equal(locked.get("libcudnn9-cuda-13")?.version, "9.12.0.46-1");
    assert.ok(![...locked.keys()].some((n) => n.endsWith("-12-8")), "a 12.8 package in a 13.0 image");
    const config = JSON.parse(
      execFileSync("skopeo", ["inspect", "--config", `oci:${out}:latest`], { encoding: "utf8" }),
    );
    assert.ok((config.config.Env as string[]).includes("NVIDIA_REQUIRE_CUDA=cuda>=13.0"));

    if (await unavailable()) return;
    const ran = cudasealRun(cacheDir, [`oci:${out}:latest`]);
    assert.equal(ran.status, 0, ran.stderr);
    const { cudart_path, ...versions } = ran.facts;
    assert.deepEqual(versions, probe13.expected);
    assert.match(cudart_path, /\/targets\/x86_64-linux\/lib\/libcudart\.so\.13$/);
  });

  test("the link check refuses an image whose library was excluded, naming it, and writes nothing", async () => {
    const body =
      'cuda: "12.8"\npackages:\n  - libc6\n  - libcusolver-{cuda}\n  - libcublas-{cuda}\n  - libcusparse-{cuda}\n  - libnvjitlink-{cuda}\n' +
      "excludes:\n  - usr/local/cuda-12.8/targets/x86_64-linux/lib/libnvJitLink.so*\n";
    const spec = writeSpec("no-nvjitlink", body);
    const out = join(work, "no-nvjitlink");
    const r = await build(spec, out);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.json.error?.code, "LINK_UNRESOLVED", r.stderr);
    assert.match(r.json.error.message, /libnvJitLink\.so\.12/);
    assert.match(r.json.error.message, /libcusparse\.so\.12|libcusolver\.so\.11/);
    assert.ok(!existsSync(out), "an image was written");

    // Waived, the same spec builds.
    const waived = writeSpec("no-nvjitlink-waived", `${body}allow:\n  unresolved: [libnvJitLink.so.*]\n`);
    const w = await build(waived, join(work, "no-nvjitlink-waived"));
    assert.equal(w.status, 0, w.stderr);
  });

  test("a CUDA version the repository does not publish is CUDA_VERSION_UNAVAILABLE listing those it does, and writes nothing", async () => {
    const spec = writeSpec("cuda127", 'cuda: "12.7"\npackages:\n  - libc6\n  - libcublas-{cuda}\n');
    const out = join(work, "cuda127");
    const r = await build(spec, out);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.json.error?.code, "CUDA_VERSION_UNAVAILABLE", r.stderr);
    assert.match(r.json.error.message, /12\.8, 12\.9, 13\.0/);
    assert.ok(!existsSync(out));
    assert.deepEqual(
      readdirSync(work).filter((f) => f.startsWith("cuda127") && f !== "cuda127.yaml"),
      [],
    );
  });

  test("the same soname from Debian's and NVIDIA's cudart at different versions is LINK_SONAME_CONFLICT", async () => {
    const spec = writeSpec(
      "two-cudarts",
      'cuda: "12.8"\npackages:\n  - libc6\n  - libcudart12\n  - cuda-cudart-{cuda}\n',
    );
    const out = join(work, "two-cudarts");
    const r = await build(spec, out);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.json.error?.code, "LINK_SONAME_CONFLICT", r.stderr);
    assert.match(r.json.error.message, /libcudart\.so\.12/);
    assert.ok(!existsSync(out));
  });
});
