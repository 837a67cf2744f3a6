// The worker thread that builds one compact index (index-cache-build.ts):
// turning a Packages file into its compact form is the CPU-bound part of a
// cold resolve, so each index builds on its own thread, beside the others.

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
