// The one retry loop every HTTP user shares: a bounded number of attempts,
// exponential backoff with jitter (so parallel downloads that failed together
// do not come back together), the server's Retry-After honoured but capped,
// and the caller's abort signal honoured during the wait as well as during
// the attempt. An attempt asks for another by throwing a RetryableError; a
// timeout (timeouts.ts) is always worth another; anything else ends the loop
// at once, and so does the last attempt, whose error is thrown as it is.

import { setTimeout as sleep } from "node:timers/promises";
import { isTimeout } from "./timeouts.ts";

export interface RetryPolicy {
  /** Attempts in all, the first included (default 5). */
  attempts?: number;
  /** The first delay, doubled each retry, with jitter (default 250 ms). */
  baseDelayMs?: number;
  /** The longest wait, Retry-After included (default 30 s). */
  maxDelayMs?: number;
}

export interface RetryOptions extends RetryPolicy {
  signal?: AbortSignal;
}

export const DEFAULT_RETRY: Readonly<Required<RetryPolicy>> = {
  attempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 30_000,
};

/** A failure another attempt may fix; `afterMs` is how long the server asked us to wait. */
export class RetryableError extends Error {
  readonly afterMs?: number;
  constructor(message: string, options: { cause?: unknown; afterMs?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RetryableError";
    this.afterMs = options.afterMs;
  }
}

/** Which attempt this is; on the last one a failure should be reported, not retried. */
export interface Attempt {
  number: number;
  last: boolean;
}

/** Run `attempt` until it succeeds, fails for good, or the attempts are spent. */
export async function withRetries<T>(
  options: RetryOptions,
  attempt: (at: Attempt) => Promise<T>,
): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? DEFAULT_RETRY.attempts);
  const maxDelay = options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  for (let n = 1; ; n++) {
    options.signal?.throwIfAborted();
    try {
      return await attempt({ number: n, last: n >= attempts });
    } catch (err) {
      const again = err instanceof RetryableError || isTimeout(err);
      if (!again || n >= attempts || options.signal?.aborted) throw err;
      const asked = err instanceof RetryableError ? err.afterMs : undefined;
      await pause(asked === undefined ? backoff(options, n) : Math.min(asked, maxDelay), options.signal);
    }
  }
}

/** The wait after failed attempt `n` (1-based): doubling from the base, with ±50% jitter, capped. */
export function backoff(policy: RetryPolicy, n: number): number {
  const base = policy.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs;
  const max = policy.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  return Math.min(max, base * 2 ** (n - 1) * (0.5 + Math.random()));
}

/** Wait `ms`, ending early with the signal's reason when it aborts. */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch (err) {
    throw signal?.aborted ? signal.reason : err;
  }
}

/** Retry-After as seconds or an HTTP date, in ms, capped at `max`; undefined when absent or unreadable. */
export function retryAfter(value: string | null, max: number): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(max, seconds * 1000);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.min(max, Math.max(0, date - Date.now()));
}
