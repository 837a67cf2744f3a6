// The worker thread that builds one compact index (index-cache-build.ts):
// turning a Packages file into its compact form is the CPU-bound part of a
// cold resolve, so each index builds on its own thread, beside the others.

import type { Transform } from "node:stream";
import { parentPort, workerData } from "node:worker_threads";
import { createGunzip } from "node:zlib";
import { XzProcess, xzBinary } from "../deb/xz-process.ts";
import { CudasealError } from "../errors.ts";
import { buildIndexCache, type IndexBuildJob } from "./index-cache-build.ts";

// As deb/decompress.ts bounds a hostile stream's window.
const XZ_MEMLIMIT = 256 * 1024 * 1024;

// Only the system's xz or zlib here, never lzma-native (index-cache-build.ts
// says why); index-cache.ts builds in the main thread where there is no xz.
function decompress(suffix: string): Transform {
  if (suffix === ".gz") return createGunzip({ chunkSize: 256 * 1024 });
  const binary = xzBinary();
  if (suffix !== ".xz" || !binary)
    throw new CudasealError("INTERNAL", `no decompressor for Packages${suffix}`);
  return new XzProcess(binary, XZ_MEMLIMIT) as unknown as Transform;
}

try {
  const result = await buildIndexCache(workerData as IndexBuildJob, decompress);
  parentPort!.postMessage({ result });
} catch (err) {
  // A coded error crosses the thread as data and is made again on the other side.
  const error =
    err instanceof CudasealError
      ? { code: err.code, message: err.message, hint: err.hint, details: err.details }
      : { message: String((err as Error)?.stack ?? err) };
  parentPort!.postMessage({ error });
}
