// Memory bounds for streaming tests. A plain reading of process.memoryUsage()
// counts garbage that the collector has not reached yet, so a bound on it
// fails at random on a busy machine. Every sample here is taken right after a
// forced full collection, so it counts only memory that is still reachable.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

setFlagsFromString("--expose-gc");
const collect = runInNewContext("gc") as () => void;

/** Bytes of ArrayBuffer memory (Buffers included) still reachable now. */
export function liveArrayBuffers(): number {
  collect();
  return process.memoryUsage().arrayBuffers;
}

/**
 * Samples reachable ArrayBuffer memory every few milliseconds while `work`
 * runs, and returns its result with the largest growth over the start.
 * Streams yield to the event loop between chunks, so the timer gets its turns.
 */
export async function peakGrowth<T>(
  work: () => Promise<T>,
  everyMs = 10,
): Promise<{ result: T; peak: number }> {
  const base = liveArrayBuffers();
  let peak = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, liveArrayBuffers() - base);
  }, everyMs);
  try {
    const result = await work();
    peak = Math.max(peak, liveArrayBuffers() - base);
    return { result, peak };
  } finally {
    clearInterval(timer);
  }
}
