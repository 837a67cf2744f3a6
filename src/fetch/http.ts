// HTTP GET with the habits of a careful package manager: retries with
// exponential backoff on connection errors, 429 and 5xx; a cap on the bytes it
// will read; and a file download that hashes while writing, checks the hash
// and size, and only then renames the file into place.

import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { finished } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { CudasealError } from "../errors.ts";

export interface RetryOptions {
  /** Attempts in all, the first included. */
  attempts?: number;
  /** Delay before the first retry, doubled each time, with jitter. */
  baseDelayMs?: number;
  /** Per-request timeout for the headers to arrive. */
  timeoutMs?: number;
}

export interface GetOptions extends RetryOptions {
  maxBytes?: number;
  signal?: AbortSignal;
  /** Called with the bytes received so far. */
  onBytes?: (delta: number) => void;
}

const DEFAULTS = { attempts: 5, baseDelayMs: 250, timeoutMs: 60_000 };

class RetryableError extends Error {}

/** True for a status code worth asking again for. */
function retryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

async function withRetries<T>(url: string, options: GetOptions, attempt: () => Promise<T>): Promise<T> {
  const attempts = options.attempts ?? DEFAULTS.attempts;
  const base = options.baseDelayMs ?? DEFAULTS.baseDelayMs;
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    if (i > 0)
      await sleep(base * 2 ** (i - 1) * (0.5 + Math.random()), undefined, { signal: options.signal });
    try {
      return await attempt();
    } catch (err) {
      last = err;
      if (!(err instanceof RetryableError) || options.signal?.aborted) break;
    }
  }
  if (last instanceof CudasealError) throw last;
  throw new CudasealError("FETCH_FAILED", `could not fetch ${url}: ${(last as Error)?.message ?? last}`, {
    hint: "check the network and the mirror URL; cudaseal retried with backoff",
    cause: last instanceof RetryableError ? last.cause : last,
    details: { url },
  });
}

async function request(url: string, options: GetOptions): Promise<Response> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULTS.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetch(url, { signal, redirect: "follow" });
  } catch (err) {
    throw new RetryableError(`connection failed: ${(err as Error).message}`, { cause: err });
  }
  if (res.ok) return res;
  await res.body?.cancel();
  if (retryableStatus(res.status)) throw new RetryableError(`HTTP ${res.status}`);
  throw new HttpStatusError(url, res.status);
}

/** A definite answer that retrying will not change (404, 403, …). */
export class HttpStatusError extends CudasealError {
  readonly status: number;
  constructor(url: string, status: number) {
    super("FETCH_FAILED", `${url}: HTTP ${status}`, { details: { url, status } });
    this.status = status;
  }
}

/** Fetch a small document whole, refusing more than `maxBytes`. */
export async function getBytes(url: string, options: GetOptions = {}): Promise<Buffer> {
  const max = options.maxBytes ?? 256 * 1024 * 1024;
  return withRetries(url, options, async () => {
    const res = await request(url, options);
    const declared = Number(res.headers.get("content-length") ?? Number.NaN);
    if (declared > max) {
      await res.body?.cancel();
      throw tooLarge(url, max);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        total += chunk.byteLength;
        if (total > max) throw tooLarge(url, max);
        options.onBytes?.(chunk.byteLength);
        chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      }
    } catch (err) {
      if (err instanceof CudasealError) throw err;
      throw new RetryableError(`transfer interrupted: ${(err as Error).message}`, { cause: err });
    }
    return Buffer.concat(chunks, total);
  });
}

export interface DownloadOptions extends GetOptions {
  sha256: string;
  size?: number;
  /** What the bytes are, for error messages (`libcudart12 12.4.127~12.4.1-2`). */
  label?: string;
}

/**
 * Download `url` to `dest`, hashing while writing. The file appears at `dest`
 * only when its SHA256 (and size, where known) match; a mismatch is retried
 * once in case the mirror was mid-update, then reported.
 */
export async function downloadVerified(url: string, dest: string, options: DownloadOptions): Promise<void> {
  const max = options.maxBytes ?? (options.size !== undefined ? options.size : 8 * 1024 * 1024 * 1024);
  const label = options.label ?? url;
  let mismatches = 0;
  await withRetries(url, options, async () => {
    const tmp = `${dest}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      const res = await request(url, options);
      const hash = createHash("sha256");
      const out = createWriteStream(tmp, { flags: "wx" });
      // A write that fails (disk full, no permission) fails the download; an
      // 'error' event nobody listens to would take the whole process down.
      let writeError: Error | undefined;
      out.on("error", (err) => {
        writeError ??= err;
      });
      let total = 0;
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          total += chunk.byteLength;
          if (total > max) throw tooLarge(url, max, label);
          hash.update(chunk);
          options.onBytes?.(chunk.byteLength);
          if (!out.write(chunk) && !writeError) await once(out, "drain");
          if (writeError) throw writeError;
        }
      } catch (err) {
        // Closed before the file is removed: a file opened after the rm below would stay behind.
        out.destroy();
        await finished(out).catch(() => {});
        if (err instanceof CudasealError || err === writeError) throw err;
        throw new RetryableError(`transfer interrupted: ${(err as Error).message}`, { cause: err });
      }
      await new Promise<void>((resolve, reject) => {
        out.end((err?: Error | null) => (err ? reject(err) : resolve()));
      });
      const digest = hash.digest("hex");
      if (options.size !== undefined && total !== options.size) {
        if (mismatches++ === 0) throw new RetryableError("size mismatch");
        throw new CudasealError(
          "DEB_SIZE_MISMATCH",
          `${label}: got ${total} bytes, expected ${options.size}`,
          {
            hint: "the mirror served a different file than its signed index names; try again later or another mirror",
            details: { url, expected: options.size, actual: total },
          },
        );
      }
      if (digest !== options.sha256) {
        if (mismatches++ === 0) throw new RetryableError("hash mismatch");
        throw new CudasealError(
          "DEB_HASH_MISMATCH",
          `${label}: SHA256 ${digest} does not match ${options.sha256}`,
          {
            hint: "the file was altered in transit or on the mirror; do not use it. Try another mirror",
            details: { url, expected: options.sha256, actual: digest },
          },
        );
      }
      await rename(tmp, dest);
    } finally {
      await rm(tmp, { force: true });
    }
  });
}

function tooLarge(url: string, max: number, label?: string): CudasealError {
  return new CudasealError("FETCH_TOO_LARGE", `${label ?? url} is larger than the ${max}-byte limit`, {
    hint: "the server sent more than the signed metadata allows; it may be hostile",
    details: { url, max },
  });
}
