// The project's two static C helpers (native/*.c): the launcher `cudaseal
// run` starts in its namespaces, and the entrypoint diagnostics wrapper a
// build can put into an image. They are compiled on first use with
// `gcc -static -Os` (the architecture's cross compiler for another one) and
// kept in the cache under the hash of the source and the compiler, written
// under a temporary name and renamed, so a build or run compiles each once.
// A host with no compiler (a GPU server often has none) uses a binary of the
// same source compiled elsewhere: copy `<cache>/native/` from a machine of
// the same architecture that has run or built once.

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { defaultCacheDir } from "../cache/dirs.ts";
import { CudasealError } from "../errors.ts";
import { hostArch } from "../source/host-arch.ts";

const run = promisify(execFile);

/** The helpers there are, by file name under native/. */
export type NativeHelper = "cudaseal-launch" | "cudaseal-entry";

export interface StaticBinaryOptions {
  /** Debian architecture of the binary (default: the host's). */
  arch?: string;
  cacheDir?: string;
  /** The C compiler for the host's architecture (default: $CC, else gcc). */
  cc?: string;
}

const NATIVE_DIR = new URL("../../native/", import.meta.url);
const TRIPLETS: Readonly<Record<string, string>> = { amd64: "x86_64-linux-gnu", arm64: "aarch64-linux-gnu" };

/** The path of `helper` compiled for `arch`, compiling it into the cache if needed. */
export async function staticBinary(helper: NativeHelper, options: StaticBinaryOptions = {}): Promise<string> {
  const arch = options.arch ?? hostArch();
  const triplet = TRIPLETS[arch];
  if (triplet === undefined) {
    throw new CudasealError("NATIVE_BUILD_FAILED", `no compiler is known for ${arch}`, {
      hint: "cudaseal's static helpers are built for amd64 and arm64",
    });
  }
  const cc = arch === hostArch() ? (options.cc ?? process.env.CC ?? "gcc") : `${triplet}-gcc`;
  const source = await readFile(new URL(`${helper}.c`, NATIVE_DIR));
  const dir = join(options.cacheDir ?? defaultCacheDir(), "native");
  const stem = `${helper}-${arch}-${createHash("sha256").update(source).digest("hex").slice(0, 16)}`;
  let version: string;
  try {
    version = await compilerVersion(cc, arch);
  } catch (err) {
    const built = await anyBuilt(dir, stem);
    if (built !== undefined) return built;
    throw err;
  }
  const out = join(dir, `${stem}-${createHash("sha256").update(version).digest("hex").slice(0, 8)}`);
  if (await isFile(out)) return out;
  await mkdir(dir, { recursive: true });
  const tmp = `${out}.tmp.${process.pid}`;
  const args = ["-static", "-Os", "-std=gnu11", "-Wall", "-Wextra", "-s", "-o", tmp, "-x", "c", "-"];
  try {
    await runWithInput(cc, args, source);
    await rename(tmp, out);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new CudasealError("NATIVE_BUILD_FAILED", `cannot compile native/${helper}.c with ${cc}`, {
      hint: `install ${cc} and the static C library (Debian: gcc${arch === hostArch() ? "" : `-${triplet.replace(/_/g, "-")}`} and libc6-dev)`,
      cause: err,
      details: { helper, arch, compiler: cc, stderr: (err as { stderr?: string }).stderr },
    });
  }
  return out;
}

async function compilerVersion(cc: string, arch: string): Promise<string> {
  try {
    return (await run(cc, ["--version"])).stdout;
  } catch (err) {
    throw new CudasealError("NATIVE_BUILD_FAILED", `the C compiler ${cc} is not installed`, {
      hint: `cudaseal compiles its static helpers for ${arch} on first use; install ${cc} (Debian: apt-get install ${cc === "gcc" ? "gcc libc6-dev" : cc.replace(/-gcc$/, "").replace(/_/g, "-").replace(/^/, "gcc-")})`,
      cause: err,
    });
  }
}

function runWithInput(cc: string, args: string[], input: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(cc, args, { maxBuffer: 1 << 20 }, (err, _stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr }));
      else resolve();
    });
    child.stdin?.end(input);
  });
}

/** A binary of this source compiled by any compiler, when there is one in the cache. */
async function anyBuilt(dir: string, stem: string): Promise<string | undefined> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return undefined;
  }
  const name = names
    .filter((n) => n.startsWith(`${stem}-`) && !n.includes(".tmp."))
    .sort()
    .at(0);
  return name === undefined ? undefined : join(dir, name);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
