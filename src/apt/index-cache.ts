// The cache of compact package indexes (index-cache-format.ts): where each
// entry lives, opening one (an entry that fails its checks is removed, said
// in a note, and rebuilt from the verified Packages file, never trusted), and
// building missing ones on a worker thread.

import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { mkdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { decompressorFor } from "../deb/decompress.ts";
import { xzBinary } from "../deb/xz-process.ts";
import { CudasealError, type ErrorCode } from "../errors.ts";
import { buildIndexCache, type IndexBuildJob, type IndexBuildResult } from "./index-cache-build.ts";
import { processDecompressor } from "./index-cache-decompress.ts";
import { FORMAT_VERSION, IndexCacheInvalid } from "./index-cache-format.ts";
import { CompactIndex } from "./index-cache-read.ts";

/** Where the entry for the Packages file signed as `sha256`, read for `arch`, lives under the cache folder `root`. */
export function indexCachePath(root: string, sha256: string, arch: string): string {
  return join(root, "apt-index", `v${FORMAT_VERSION}`, `${sha256}-${arch}`);
}

/**
 * The entry at `path`, or undefined when there is none or it failed its
 * checks (then it is removed, and `onNote` says why).
 */
export function openCachedIndex(
  path: string,
  sha256: string,
  arch: string,
  onNote?: (note: string) => void,
): CompactIndex | undefined {
  try {
    return CompactIndex.open(path, sha256, arch);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    const why = err instanceof IndexCacheInvalid ? err.message : String((err as Error)?.message ?? err);
    onNote?.(`${path}: unusable package index cache entry (${why}); rebuilding it`);
    try {
      // Recursive: a folder in the entry's place would otherwise stop the rebuilt file's rename.
      rmSync(path, { force: true, recursive: true });
    } catch {}
    return undefined;
  }
}

// A worker costs some 0.3 s of CPU to start (its own module loading and
// type stripping) whatever it then builds; an index this small (contrib,
// non-free, the updates and security suites) takes
// less than that to build here, so only an archive's main index goes to one.
const IN_THREAD_MAX = 4 * 1024 * 1024;
// A small file can still decompress to a great deal (a hostile index of
// countless names); past this the build moves to a worker, whose bounded
// heap refuses what no real index needs.
const IN_THREAD_TEXT_MAX = 32 * 1024 * 1024;

/** Build `job` in this thread; false when its text outgrew IN_THREAD_TEXT_MAX (nothing is left behind). */
async function builtInThread(job: IndexBuildJob): Promise<boolean> {
  if (job.maxBytes <= IN_THREAD_TEXT_MAX) {
    await buildIndexCache(job, processDecompressor);
    return true;
  }
  try {
    await buildIndexCache({ ...job, maxBytes: IN_THREAD_TEXT_MAX }, processDecompressor);
    return true;
  } catch (err) {
    if (err instanceof CudasealError && err.code === "FETCH_TOO_LARGE") return false;
    throw err;
  }
}

/**
 * Build the entry `job.dest` and open it: on a worker thread, or in this one
 * for a small index or where the system has no `xz`.
 */
export async function buildCachedIndex(job: IndexBuildJob, signal?: AbortSignal): Promise<CompactIndex> {
  await mkdir(join(job.dest, ".."), { recursive: true });
  if (job.suffix === ".xz" && !xzBinary()) {
    await buildIndexCache(job, (suffix) => decompressorFor(`Packages${suffix}`));
  } else if ((await stat(job.file)).size > IN_THREAD_MAX || !(await builtInThread(job))) {
    await inWorker(job, signal);
  }
  try {
    return CompactIndex.open(job.dest, job.sha256, job.arch);
  } catch (err) {
    throw new CudasealError("CACHE_CORRUPT", `${job.dest} cannot be read back after it was written`, {
      hint: "check the cache folder's disk; removing the file makes cudaseal build it again",
      cause: err,
      details: { path: job.dest },
    });
  }
}

// One build at a time, off the main thread. Each worker costs some 90 MiB
// (its own heap, its copy of the modules, the decompressed stream) against a
// whole build's 256 MiB, and one worker per core broke that on two cores; the
// decompression runs in its own process (deb/xz-process.ts) and the downloads
// on the main thread meanwhile, so the two architectures' indexes still
// overlap, and the warm resolve needs no worker at all.
const LIMIT = 1;
// A worker's heap is bounded: left alone, V8 lets a busy heap grow far past
// what is live (some 15 MiB at the end for Debian's main index) before it
// collects; much tighter than this, collecting doubles the build's time. An
// index too big for the bound is built again with a larger one.
const SMALL = { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 };
const LARGE = { maxOldGenerationSizeMb: 512, maxYoungGenerationSizeMb: 8 };
let running = 0;
let started = 0;

/** How many builds this process has handed to a worker thread; tests compare it across a build. */
export function indexWorkerBuilds(): number {
  return started;
}
const waiting: (() => void)[] = [];

async function inWorker(job: IndexBuildJob, signal?: AbortSignal): Promise<IndexBuildResult> {
  if (running >= LIMIT) await new Promise<void>((go) => waiting.push(go));
  running++;
  started++;
  try {
    return await runWorker(job, SMALL, signal).catch((err) => {
      if ((err as NodeJS.ErrnoException).code !== "ERR_WORKER_OUT_OF_MEMORY") throw err;
      return runWorker(job, LARGE, signal);
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ERR_WORKER_OUT_OF_MEMORY") throw err;
    throw new CudasealError("FETCH_TOO_LARGE", `${job.file}: the Packages index is too large to index`, {
      hint: "no real archive's index comes near this; the repository may be hostile",
      details: { file: job.file },
    });
  } finally {
    running--;
    waiting.shift()?.();
  }
}

async function runWorker(
  job: IndexBuildJob,
  limits: typeof SMALL,
  signal?: AbortSignal,
): Promise<IndexBuildResult> {
  signal?.throwIfAborted();
  // Named here, so that what a worker stopped mid-write (out of memory, aborted) left is removed.
  const tmp = `${job.dest}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    return await new Promise<IndexBuildResult>((resolve, reject) => {
      const worker = new Worker(new URL("./index-cache-worker.ts", import.meta.url), {
        workerData: { ...job, tmp },
        resourceLimits: limits,
      });
      let settled = false;
      const stop = () => {
        settled = true;
        reject(signal!.reason);
        void worker.terminate();
      };
      signal?.addEventListener("abort", stop, { once: true });
      const done = () => signal?.removeEventListener("abort", stop);
      worker.once("message", (message: { result?: IndexBuildResult; error?: WorkerError }) => {
        settled = true;
        done();
        if (message.result) resolve(message.result);
        else reject(fromWorker(message.error!));
      });
      worker.once("error", (err) => {
        settled = true;
        done();
        reject(err);
      });
      worker.once("exit", (code) => {
        done();
        if (!settled) reject(new CudasealError("INTERNAL", `the index builder stopped (exit ${code})`));
      });
    });
  } finally {
    await rm(tmp, { force: true });
  }
}

interface WorkerError {
  code?: ErrorCode;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
}

function fromWorker(error: WorkerError): Error {
  if (error.code)
    return new CudasealError(error.code, error.message, { hint: error.hint, details: error.details });
  return new CudasealError("INTERNAL", `building a package index cache failed: ${error.message}`, {
    hint: "this is a bug in cudaseal; please report it",
  });
}
