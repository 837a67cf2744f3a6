// The cache of compact package indexes (index-cache-format.ts): where each
// entry lives, opening one (an entry that fails its checks is removed, said
// in a note, and rebuilt from the verified Packages file, never trusted), and
// building missing ones on worker threads, as many at once as the machine
// has cores.

import { rmSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { CudasealError, type ErrorCode } from "../errors.ts";
import type { IndexBuildJob, IndexBuildResult } from "./index-cache-build.ts";
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
      rmSync(path, { force: true });
    } catch {}
    return undefined;
  }
}

/** Build the entry `job.dest` on a worker thread and open it. */
export async function buildCachedIndex(job: IndexBuildJob): Promise<CompactIndex> {
  await mkdir(join(job.dest, ".."), { recursive: true });
  await inWorker(job);
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

const LIMIT = Math.max(1, availableParallelism());
let running = 0;
const waiting: (() => void)[] = [];

async function inWorker(job: IndexBuildJob): Promise<IndexBuildResult> {
  if (running >= LIMIT) await new Promise<void>((go) => waiting.push(go));
  running++;
  try {
    return await new Promise<IndexBuildResult>((resolve, reject) => {
      const worker = new Worker(new URL("./index-cache-worker.ts", import.meta.url), { workerData: job });
      let settled = false;
      worker.once("message", (message: { result?: IndexBuildResult; error?: WorkerError }) => {
        settled = true;
        if (message.result) resolve(message.result);
        else reject(fromWorker(message.error!));
      });
      worker.once("error", (err) => {
        settled = true;
        reject(err);
      });
      worker.once("exit", (code) => {
        if (!settled) reject(new CudasealError("INTERNAL", `the index builder stopped (exit ${code})`));
      });
    });
  } finally {
    running--;
    waiting.shift()?.();
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
