// The worker thread that builds one compact index (index-cache-build.ts):
// turning a large Packages file into its compact form is the CPU-bound part
// of a cold resolve, so it builds off the main thread, which goes on with
// the downloads meanwhile, and in a heap bounded against a hostile index
// (index-cache.ts runs one worker at a time and keeps small indexes in-thread).

import { parentPort, workerData } from "node:worker_threads";
import { CudasealError } from "../errors.ts";
import { buildIndexCache, type IndexBuildJob } from "./index-cache-build.ts";
import { processDecompressor } from "./index-cache-decompress.ts";

try {
  const result = await buildIndexCache(workerData as IndexBuildJob, processDecompressor);
  parentPort!.postMessage({ result });
} catch (err) {
  // A coded error crosses the thread as data and is made again on the other side.
  const error =
    err instanceof CudasealError
      ? { code: err.code, message: err.message, hint: err.hint, details: err.details }
      : { message: String((err as Error)?.stack ?? err) };
  parentPort!.postMessage({ error });
}
