// A test copy of NVIDIA's CUDA apt repository, with its real shape, served
// on 127.0.0.1: the flat layout `<base>/<distribution>/x86_64/` holding
// InRelease, Release, Release.gpg, Packages, Packages.gz and the .debs side
// by side (Filename: ./name_version_arch.deb), signed with the test key.
// The packages are the rows of nvidia-packages.ts, built by dpkg-deb, and
// their libraries are real shared objects compiled by gcc with the real
// sonames and the real DT_NEEDED between them, so a program linked against
// them (no rpath) runs wherever the loader can find them.
//
//   const repo = await startNvidiaRepo();            // 12.8, 12.9, 13.0
//   sources: [{ name: nvidia-cuda, url: repo.url, keyring: [repo.publicKeyPath] }]
//   const probe = await compileCudaProbe("12.8", dir); // links cudart, cuBLAS, cuDNN, NCCL
//
// Libraries and .debs are made once per test process, in one temporary
// directory removed at exit; each repository gets its own copy to serve.

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { copyFile, mkdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { basename, join, normalize, sep } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { mapPool } from "../../src/util/pool.ts";
import { clearsign, detachSign, type PackageSpec, rfc2822, type TestKey, testKeys } from "./apt-repo.ts";
import { buildDeb, controlText, type DebFile, type DebSpec } from "./debs.ts";
import {
  CUDA_RELEASES,
  type CudaRelease,
  companions,
  cudartCode,
  cudnnCode,
  type FixtureLib,
  type FixturePackage,
  ncclCode,
  nvidiaCatalog,
} from "./nvidia-packages.ts";

export { CUDA_RELEASES, type CudaRelease, cudaDash } from "./nvidia-packages.ts";

const run = promisify(execFile);

let work: string | undefined;

/** The process's work directory for compiled libraries and built .debs. */
function workDir(): string {
  if (!work) {
    const dir = mkdtempSync(join(tmpdir(), "cs-nvidia-"));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    work = dir;
  }
  return work;
}

// ---------------------------------------------------------------- libraries

const sets = new Map<string, Promise<string>>();

/**
 * The directory holding the compiled libraries of one set (a CUDA release
 * and the cuDNN and NCCL published with it): each real file, its soname
 * symlink and the unversioned name a linker looks for (`libcudart.so`).
 */
export function librarySet(set: CudaRelease): Promise<string> {
  let dir = sets.get(set);
  if (!dir) {
    dir = compileSet(
      set,
      nvidiaCatalog(CUDA_RELEASES).filter((p) => p.set === set),
    );
    sets.set(set, dir);
  }
  return dir;
}

async function compileSet(set: string, packages: FixturePackage[]): Promise<string> {
  const dir = join(workDir(), "lib", set);
  await mkdir(dir, { recursive: true });
  const libs = packages.flatMap((p) => p.libs.map((l) => l.lib));
  const bySoname = new Map(libs.map((l) => [l.soname, l]));
  // Compile in waves: a library once every library it links is there.
  const done = new Set<string>();
  while (done.size < libs.length) {
    const ready = libs.filter((l) => !done.has(l.soname) && l.needed.every((n) => done.has(n)));
    if (ready.length === 0) throw new Error(`fixture set ${set}: a dependency cycle or a missing library`);
    await mapPool(ready, 4, (l) => compileLibrary(dir, l, bySoname));
    for (const l of ready) done.add(l.soname);
  }
  return dir;
}

async function compileLibrary(
  dir: string,
  lib: FixtureLib,
  bySoname: Map<string, FixtureLib>,
): Promise<void> {
  const deps = lib.needed.map((soname) => {
    const dep = bySoname.get(soname);
    const fn = dep?.exports.find((e) => e.name.endsWith("FixtureVersion"));
    if (!fn) throw new Error(`fixture: ${lib.soname} needs ${soname}, which is not in its set`);
    return fn.name;
  });
  // Each library's version function calls those of the libraries it links,
  // so calling it proves the loader bound every one of them.
  const lines = ["#include <stddef.h>", ...deps.map((d) => `size_t ${d}(void);`)];
  const check = deps.length ? deps.map((d) => `${d}() != 0`).join(" && ") : "1";
  for (const e of lib.exports) {
    lines.push(
      e.kind === "ret"
        ? `size_t ${e.name}(void) { return (${check}) ? ${e.value} : 0; }`
        : `int ${e.name}(int *out) { *out = (${check}) ? ${e.value} : 0; return 0; }`,
    );
  }
  const source = join(dir, `${lib.file}.c`);
  await writeFile(source, `${lines.join("\n")}\n`);
  await run("gcc", [
    "-shared",
    "-fPIC",
    "-O1",
    "-Wl,--build-id=none",
    // Link libc even though the stub calls nothing in it: every real CUDA library needs it.
    "-Wl,--no-as-needed",
    `-Wl,-soname,${lib.soname}`,
    "-o",
    join(dir, lib.file),
    source,
    "-L",
    dir,
    ...lib.needed.map((n) => `-l:${n}`),
  ]);
  await rm(source);
  await symlink(lib.file, join(dir, lib.soname));
  const dev = lib.soname.replace(/\.so\..*$/, ".so");
  await symlink(lib.soname, join(dir, dev));
}

/** What the probe program prints when every library it links was found. */
export interface CudaProbe {
  /** The compiled program. */
  path: string;
  /** Its expected `key=value` lines (cudart, cublas, cudnn, nccl), without cudart_path. */
  expected: Record<string, string>;
}

/**
 * A program linked with `-lcudart -lcublas -lcudnn -lnccl` against the
 * libraries of `release` (no rpath: it finds them only through the loader's
 * cache or default paths). It prints each library's version and the path
 * the loader took libcudart from, and exits 1 if a version is 0 (a library
 * it links could not reach its own dependencies).
 */
export async function compileCudaProbe(release: CudaRelease, outDir: string): Promise<CudaProbe> {
  const dir = await librarySet(release);
  const { cudnn, nccl } = companions(release);
  if (!cudnn) throw new Error(`fixture: no cuDNN is published with CUDA ${release}`);
  const source = join(outDir, "cuda-probe.c");
  await writeFile(
    source,
    String.raw`#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
int cudaRuntimeGetVersion(int *);
size_t cublasFixtureVersion(void);
size_t cudnnGetVersion(void);
int ncclGetVersion(int *);
int main(void) {
  int cudart = 0, nccl = 0;
  Dl_info info;
  cudaRuntimeGetVersion(&cudart);
  ncclGetVersion(&nccl);
  size_t cublas = cublasFixtureVersion(), cudnn = cudnnGetVersion();
  printf("cudart=%d\ncublas=%zu\ncudnn=%zu\nnccl=%d\n", cudart, cublas, cudnn, nccl);
  if (dladdr((void *)cudaRuntimeGetVersion, &info) && info.dli_fname) printf("cudart_path=%s\n", info.dli_fname);
  return cudart && cublas && cudnn && nccl ? 0 : 1;
}
`,
  );
  const path = join(outDir, "cuda-probe");
  await run("gcc", [
    "-O1",
    "-o",
    path,
    source,
    "-L",
    dir,
    `-Wl,-rpath-link,${dir}`,
    "-lcudart",
    "-lcublas",
    "-lcudnn",
    "-lnccl",
  ]);
  await rm(source);
  return {
    path,
    expected: {
      cudart: String(cudartCode(release)),
      cublas: String(cudartCode(release)),
      cudnn: String(cudnnCode(cudnn)),
      nccl: String(ncclCode(nccl)),
    },
  };
}

// ---------------------------------------------------------------- packages

/** A built .deb and its control file, the start of its Packages paragraph. */
interface BuiltDeb {
  path: string;
  control: string;
}

const debs = new Map<string, Promise<BuiltDeb>>();

/** The .deb of one catalog package, built once per process. */
function debOf(pkg: FixturePackage): Promise<BuiltDeb> {
  const key = `${pkg.name}_${pkg.version}_${pkg.arch}`;
  let deb = debs.get(key);
  if (!deb) {
    deb = buildFixtureDeb(pkg);
    debs.set(key, deb);
  }
  return deb;
}

async function buildFixtureDeb(pkg: FixturePackage): Promise<BuiltDeb> {
  const files: Record<string, DebFile> = { ...pkg.files };
  if (pkg.libs.length > 0) {
    const dir = await librarySet(pkg.set as CudaRelease);
    for (const { dir: into, lib } of pkg.libs) {
      // NVIDIA's libraries are 0644, with the soname a symlink to the real file.
      files[`${into}/${lib.file}`] = { content: await readFile(join(dir, lib.file)), mode: 0o644 };
      files[`${into}/${lib.soname}`] = { symlink: lib.file };
    }
  }
  const out = join(workDir(), "debs");
  await mkdir(out, { recursive: true });
  return built(
    {
      name: pkg.name,
      version: pkg.version,
      arch: pkg.arch,
      fields: {
        Maintainer: "cudatools <cudatools@nvidia.com>",
        Description: `${pkg.name}\n NVIDIA CUDA package (test copy)`,
        ...pkg.fields,
      },
      files,
      scripts: pkg.scripts,
      compression: "gzip",
      level: 1,
    },
    out,
  );
}

/** Build with dpkg-deb, keeping the control text the helper wrote (no dpkg-deb --field per repository). */
async function built(spec: DebSpec, out: string): Promise<BuiltDeb> {
  return { path: await buildDeb(spec, out), control: controlText(spec) };
}

/** Extra packages for the repository (tests that need one NVIDIA does not publish). */
async function buildExtra(spec: PackageSpec): Promise<BuiltDeb> {
  const out = join(workDir(), "extra-debs");
  await mkdir(out, { recursive: true });
  return built(
    {
      name: spec.name,
      version: spec.version,
      arch: spec.arch ?? "amd64",
      fields: spec.fields,
      files: spec.files ?? {},
      scripts: spec.scripts,
      compression: "gzip",
      level: 1,
    },
    out,
  );
}

// ---------------------------------------------------------------- repository

export interface NvidiaRepoOptions {
  /** NVIDIA's distribution trees to publish (each the same packages); default ["debian13"]. */
  distributions?: string[];
  /** CUDA releases to publish; default all of CUDA_RELEASES. */
  releases?: CudaRelease[];
  /** Package names (every version) to leave out. */
  omit?: string[];
  /** Packages to publish besides NVIDIA's. */
  packages?: PackageSpec[];
  /** Sign with a key the client does not trust. */
  signWith?: "repo" | "other";
}

/** One .deb as the repository publishes it. */
export interface NvidiaDeb {
  name: string;
  version: string;
  arch: string;
  /** As in Packages: `./name_version_arch.deb`. */
  filename: string;
}

export interface NvidiaRepo {
  /** The folder holding the distribution trees: `${url}/debian13/x86_64/InRelease`. */
  url: string;
  dir: string;
  distributions: string[];
  /** The key a client should trust. */
  key: TestKey;
  publicKeyPath: string;
  armoredKeyPath: string;
  debs: NvidiaDeb[];
  /** How often `path` (`/debian13/x86_64/InRelease`) was asked for. */
  count(path: string): number;
  close(): Promise<void>;
}

/** Build, sign and serve NVIDIA's repository for amd64 (`x86_64`); close() stops it and removes the files. */
export async function startNvidiaRepo(options: NvidiaRepoOptions = {}): Promise<NvidiaRepo> {
  const distributions = options.distributions ?? ["debian13"];
  const omit = new Set(options.omit ?? []);
  const catalog = nvidiaCatalog(options.releases ?? CUDA_RELEASES).filter((p) => !omit.has(p.name));
  const keys = await testKeys();
  const signer = options.signWith === "other" ? keys.other : keys.repo;
  const debsBuilt = [
    ...(await mapPool(catalog, 4, (p) => debOf(p))),
    ...(await mapPool(options.packages ?? [], 2, buildExtra)),
  ];

  const dir = mkdtempSync(join(tmpdir(), "cudaseal-nvidia-repo-"));
  try {
    const published: NvidiaDeb[] = [];
    for (const distribution of distributions) {
      const folder = join(dir, distribution, "x86_64");
      await mkdir(folder, { recursive: true });
      const paragraphs: string[] = [];
      for (const deb of debsBuilt) {
        const name = basename(deb.path);
        await copyFile(deb.path, join(folder, name));
        const bytes = await readFile(deb.path);
        const control = deb.control;
        paragraphs.push(
          `${control}Filename: ./${name}\nSize: ${bytes.length}\n` +
            `MD5sum: ${hash("md5", bytes)}\nSHA1: ${hash("sha1", bytes)}\n` +
            `SHA256: ${hash("sha256", bytes)}\nSHA512: ${hash("sha512", bytes)}\n`,
        );
        if (distribution === distributions[0]) {
          const [pkg, version, arch] = name.replace(/\.deb$/, "").split("_");
          published.push({ name: pkg, version, arch, filename: `./${name}` });
        }
      }
      const packages = Buffer.from(paragraphs.join("\n"));
      const gz = gzipSync(packages);
      await writeFile(join(folder, "Packages"), packages);
      await writeFile(join(folder, "Packages.gz"), gz);
      const release = releaseText([
        ["Packages", packages],
        ["Packages.gz", gz],
      ]);
      await writeFile(join(folder, "Release"), release);
      await writeFile(join(folder, "InRelease"), await clearsign(release, signer));
      await writeFile(join(folder, "Release.gpg"), await detachSign(join(folder, "Release"), signer, true));
    }
    return await serve(dir, { distributions, key: keys.repo, debs: published });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * A flat repository's Release as NVIDIA writes it: Origin and Label, no
 * Suite, Codename or Components, and every checksum list.
 */
function releaseText(files: [string, Buffer][]): string {
  const lines = [
    "Origin: NVIDIA",
    "Label: NVIDIA CUDA",
    "Architecture: x86_64",
    `Date: ${rfc2822(new Date())}`,
  ];
  for (const [field, algorithm] of [
    ["MD5Sum", "md5"],
    ["SHA1", "sha1"],
    ["SHA256", "sha256"],
    ["SHA512", "sha512"],
  ]) {
    lines.push(`${field}:`);
    for (const [name, bytes] of files)
      lines.push(` ${hash(algorithm, bytes)} ${String(bytes.length).padStart(8)} ${name}`);
  }
  lines.push("Acquire-By-Hash: no");
  return `${lines.join("\n")}\n`;
}

function hash(algorithm: string, bytes: Uint8Array): string {
  return createHash(algorithm).update(bytes).digest("hex");
}

async function serve(
  dir: string,
  state: { distributions: string[]; key: TestKey; debs: NvidiaDeb[] },
): Promise<NvidiaRepo> {
  const requests = new Map<string, number>();
  const root = normalize(dir) + sep;
  const server = createServer((req, res) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? "/", "http://127.0.0.1").pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    requests.set(path, (requests.get(path) ?? 0) + 1);
    const file = normalize(join(dir, path));
    if ((req.method !== "GET" && req.method !== "HEAD") || !file.startsWith(root)) {
      res.writeHead(404).end();
      return;
    }
    readFile(file).then(
      (bytes) => {
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": bytes.length });
        res.end(req.method === "HEAD" ? undefined : bytes);
      },
      () => res.writeHead(404, { "content-type": "text/plain" }).end("not found\n"),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    dir,
    distributions: state.distributions,
    key: state.key,
    publicKeyPath: state.key.publicKeyPath,
    armoredKeyPath: state.key.armoredKeyPath,
    debs: state.debs,
    count: (path) => requests.get(path) ?? 0,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------- Debian side

/**
 * The Debian packages an NVIDIA image stands on, for a Debian-shaped test
 * repository (apt-repo.ts): libc6 holding this machine's own glibc and
 * loader in Debian 13's merged-/usr layout (so programs compiled here run in
 * the image), libc-bin's loader configuration, and Debian's own
 * libcudart12 (12.4), which provides the same soname as NVIDIA's
 * cuda-cudart-12-8 from a different path.
 */
export async function debianBasePackages(): Promise<PackageSpec[]> {
  const multiarch = "usr/lib/x86_64-linux-gnu";
  const libc = await readFile(realpathSync("/lib/x86_64-linux-gnu/libc.so.6"));
  const loader = await readFile(realpathSync("/lib64/ld-linux-x86-64.so.2"));
  const cudart = await compileDebianCudart();
  return [
    {
      name: "libc6",
      version: "2.41-12",
      fields: { "Multi-Arch": "same", Section: "libs", Priority: "optional" },
      files: {
        [`${multiarch}/libc.so.6`]: { content: libc, mode: 0o755 },
        [`${multiarch}/ld-linux-x86-64.so.2`]: { content: loader, mode: 0o755 },
        "usr/lib64/ld-linux-x86-64.so.2": { symlink: "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" },
        "etc/ld.so.conf.d/x86_64-linux-gnu.conf":
          "# Multiarch support\n/usr/local/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n",
      },
    },
    {
      // The real one also carries ldconfig, iconv and friends; only its configuration matters here.
      name: "libc-bin",
      version: "2.41-12",
      fields: { Depends: "libc6 (>> 2.41), libc6 (<< 2.42)", Section: "libs", Priority: "required" },
      files: {
        "etc/ld.so.conf": "include /etc/ld.so.conf.d/*.conf\n\n",
        "etc/ld.so.conf.d/libc.conf": "# libc default configuration\n/usr/local/lib\n",
      },
    },
    {
      name: "libcudart12",
      version: "12.4.127~12.4.1-2",
      fields: {
        Depends: "libc6 (>= 2.34)",
        Recommends: "libcuda1 (>= 550) | libcuda.so.1 (>= 550)",
        Source: "nvidia-cuda-toolkit (12.4.1-2)",
        Section: "non-free/libs",
      },
      files: {
        [`${multiarch}/libcudart.so.12.4.127`]: { content: cudart, mode: 0o644 },
        [`${multiarch}/libcudart.so.12`]: { symlink: "libcudart.so.12.4.127" },
      },
    },
  ];
}

let debianCudart: Promise<Buffer> | undefined;

/** Debian's libcudart.so.12 (12.4): the same soname and functions as NVIDIA's, another version. */
function compileDebianCudart(): Promise<Buffer> {
  debianCudart ??= (async () => {
    const dir = join(workDir(), "debian");
    await mkdir(dir, { recursive: true });
    const source = join(dir, "cudart.c");
    await writeFile(
      source,
      "#include <stddef.h>\nint cudaRuntimeGetVersion(int *out) { *out = 12040; return 0; }\n" +
        "size_t cudartFixtureVersion(void) { return 12040; }\n",
    );
    const out = join(dir, "libcudart.so.12.4.127");
    await run("gcc", ["-shared", "-fPIC", "-O1", "-Wl,-soname,libcudart.so.12", "-o", out, source]);
    return readFile(out);
  })();
  return debianCudart;
}
