// GETs with the habits of a careful package manager, for apt repositories and
// data feeds: retries with backoff on connection errors, timeouts, 408, 429
// and 5xx (Retry-After honoured); a cap on the bytes read; and a file
// download that hashes while writing, checks the hash and size, and only then
// renames the file into place. Failures are FETCH_FAILED, FETCH_TIMEOUT or
// FETCH_TOO_LARGE, with credentials and queries kept out of the messages.

import { randomBytes } from "node:crypto";
import { rename, rm } from "node:fs/promises";
import { CudasealError } from "../errors.ts";
import { discard, readCapped } from "./read-capped.ts";
import { redactIn, redactUrl } from "./redact.ts";
import {
  type Attempt,
  DEFAULT_RETRY,
  RetryableError,
  type RetryPolicy,
  retryAfter,
  withRetries,
} from "./retry.ts";
import { type SendOptions, send } from "./send.ts";
import { type HttpTimeouts, resolveTimeouts, timeoutError } from "./timeouts.ts";
import { writeBody } from "./write-body.ts";

export interface GetOptions extends RetryPolicy {
  maxBytes?: number;
  signal?: AbortSignal;
  /** Called with the bytes received so far. */
  onBytes?: (delta: number) => void;
  /** Headers and idle bounds (timeouts.ts); unset ones come from the environment or the defaults. */
  timeouts?: Partial<HttpTimeouts>;
  /** Extra request headers (a conditional GET's If-None-Match). */
  headers?: Record<string, string>;
  /** What the bytes are, for messages (`libcudart12 12.4.127~12.4.1-2`); default the URL. */
  label?: string;
  /** What to tell the user when the server cannot be had at all. */
  hint?: string;
}

/** A definite answer that retrying will not change (404, 403, …). */
export class HttpStatusError extends CudasealError {
  readonly status: number;
  constructor(url: string, status: number) {
    const shown = redactUrl(url);
    super("FETCH_FAILED", `${shown}: HTTP ${status}`, { details: { url: shown, status } });
    this.status = status;
  }
}

/** True for a status code worth asking again for. */
function retryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

/**
 * Run the attempts of a GET through the shared retry loop. What is still
 * failing when the attempts are spent is reported as FETCH_FAILED, unless it
 * is already a coded error (a timeout, a refused size, a definite status).
 */
export async function retryingGet<T>(
  url: string,
  options: GetOptions,
  attempt: (at: Attempt) => Promise<T>,
): Promise<T> {
  try {
    return await withRetries(options, attempt);
  } catch (err) {
    if (err instanceof CudasealError) throw err;
    if (options.signal?.aborted && err === options.signal.reason) throw err;
    const shown = redactUrl(url);
    const why = redactIn(String((err as Error)?.message ?? err), url);
    throw new CudasealError("FETCH_FAILED", `could not fetch ${shown}: ${why}`, {
      hint: options.hint ?? "check the network and the mirror URL; cudaseal retried with backoff",
      cause: err instanceof RetryableError ? (err.cause ?? err) : err,
      details: { url: shown },
    });
  }
}

/**
 * One GET: the answer, when it is 2xx or one of `ok`. A retryable status
 * or a failed connection throws RetryableError; any other status
 * HttpStatusError.
 */
export async function openGet(
  url: string,
  options: GetOptions,
  ok: readonly number[] = [],
): Promise<Response> {
  let res: Response;
  try {
    res = await send(url, { headers: options.headers }, sendOptions(url, options));
  } catch (err) {
    if (err instanceof CudasealError || (options.signal?.aborted && err === options.signal.reason)) throw err;
    throw new RetryableError(`connection failed: ${redactIn(String((err as Error)?.message ?? err), url)}`, {
      cause: err,
    });
  }
  if (res.ok || ok.includes(res.status)) return res;
  await discard(res);
  if (retryableStatus(res.status))
    throw new RetryableError(`HTTP ${res.status}`, {
      afterMs: retryAfter(res.headers.get("retry-after"), options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs),
    });
  throw new HttpStatusError(url, res.status);
}

/** How a GET's timeouts and cut connections are reported. */
function sendOptions(url: string, options: GetOptions): SendOptions {
  const shown = redactUrl(url);
  return {
    timeouts: resolveTimeouts(options.timeouts),
    signal: options.signal,
    timeout: (phase, ms) => timeoutError("FETCH_TIMEOUT", options.label ?? shown, phase, ms, { url: shown }),
    interrupted: (cause) =>
      new RetryableError(
        `transfer interrupted: ${redactIn(String((cause as Error)?.message ?? cause), url)}`,
        {
          cause,
        },
      ),
  };
}

/** Fetch a small document whole, refusing more than `maxBytes` (default 256 MiB). */
export async function getBytes(url: string, options: GetOptions = {}): Promise<Buffer> {
  const max = options.maxBytes ?? 256 * 1024 * 1024;
  return retryingGet(url, options, async () => {
    const res = await openGet(url, options);
    return readCapped(res, max, () => tooLarge(url, max, options.label), options.onBytes);
  });
}

/** What a conditional GET learned: the document unchanged since `validators`, or a new one. */
export type ConditionalAnswer =
  | { notModified: true }
  | { notModified: false; body: Buffer; etag?: string; lastModified?: string };

/**
 * getBytes, sending If-None-Match and If-Modified-Since from what an earlier
 * answer gave; a 304 is `notModified` and carries no body.
 */
export async function getConditional(
  url: string,
  validators: { etag?: string; lastModified?: string },
  options: GetOptions = {},
): Promise<ConditionalAnswer> {
  const max = options.maxBytes ?? 256 * 1024 * 1024;
  const headers: Record<string, string> = { ...options.headers };
  if (validators.etag) headers["if-none-match"] = validators.etag;
  if (validators.lastModified) headers["if-modified-since"] = validators.lastModified;
  return retryingGet(url, options, async () => {
    const res = await openGet(url, { ...options, headers }, [304]);
    if (res.status === 304) {
      await discard(res);
      return { notModified: true };
    }
    const body = await readCapped(res, max, () => tooLarge(url, max, options.label), options.onBytes);
    return {
      notModified: false,
      body,
      etag: res.headers.get("etag") ?? undefined,
      lastModified: res.headers.get("last-modified") ?? undefined,
    };
  });
}

export interface DownloadOptions extends GetOptions {
  sha256: string;
  size?: number;
}

/**
 * Download `url` to `dest`, hashing while writing. The file appears at `dest`
 * only when its SHA256 (and size, where known) match; a mismatch is retried
 * once in case the mirror was mid-update, then reported.
 */
export async function downloadVerified(url: string, dest: string, options: DownloadOptions): Promise<void> {
  const max = options.maxBytes ?? options.size ?? 8 * 1024 * 1024 * 1024;
  const label = options.label ?? redactUrl(url);
  const shown = redactUrl(url);
  let mismatches = 0;
  await retryingGet(url, options, async () => {
    const tmp = `${dest}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      const res = await openGet(url, options);
      const { size, sha256 } = await writeBody(res, tmp, {
        maxBytes: max,
        tooLarge: () => tooLarge(url, max, label),
        onBytes: options.onBytes,
      });
      if (options.size !== undefined && size !== options.size) {
        if (mismatches++ === 0) throw new RetryableError("size mismatch");
        throw new CudasealError(
          "DEB_SIZE_MISMATCH",
          `${label}: got ${size} bytes, expected ${options.size}`,
          {
            hint: "the mirror served a different file than its signed index names; try again later or another mirror",
            details: { url: shown, expected: options.size, actual: size },
          },
        );
      }
      if (sha256 !== options.sha256) {
        if (mismatches++ === 0) throw new RetryableError("hash mismatch");
        throw new CudasealError(
          "DEB_HASH_MISMATCH",
          `${label}: SHA256 ${sha256} does not match ${options.sha256}`,
          {
            hint: "the file was altered in transit or on the mirror; do not use it. Try another mirror",
            details: { url: shown, expected: options.sha256, actual: sha256 },
          },
        );
      }
      await rename(tmp, dest);
    } finally {
      await rm(tmp, { force: true });
    }
  });
}

/** FETCH_TOO_LARGE for `url` past `max` bytes. */
export function tooLarge(url: string, max: number, label?: string, hint?: string): CudasealError {
  const shown = redactUrl(url);
  return new CudasealError("FETCH_TOO_LARGE", `${label ?? shown} is larger than the ${max}-byte limit`, {
    hint: hint ?? "the server sent more than the signed metadata allows; it may be hostile",
    details: { url: shown, max },
  });
}
