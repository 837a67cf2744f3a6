// The Debian Security Tracker's JSON, kept in the cache dir and refreshed with
// a conditional GET (If-None-Match / If-Modified-Since), so an unchanged feed
// costs one 304. Layout, one directory per feed URL:
//
//   <cache>/vulndb/debian-tracker/<sha256(url)[:16]>/
//     meta.json               where, when, ETag/Last-Modified, size, SHA-256
//     data-<sha256>.json      the raw JSON, named by its hash
//     compact/                per-release compact caches (tracker-compact.ts)
//
// meta.json is the commit point: a download is written under a temporary
// name, hashed while it streams, capped in size, and only becomes the cache
// when meta.json (written atomically) names it. The feed is hostile input
// like any other: the caller parses the download before installing it.

import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CudasealError } from "../errors.ts";
import { writeFileAtomic } from "../util/atomic-file.ts";

/** Where the tracker publishes its JSON export. */
export const DEFAULT_TRACKER_URL = "https://security-tracker.debian.org/tracker/data/json";
/** The most bytes a download may have: the export is 60-80 MB. */
export const DEFAULT_MAX_DOWNLOAD = 512 * 1024 * 1024;

/** What is known about the cached copy. */
export interface TrackerMeta {
  url: string;
  /** When these bytes were downloaded. */
  fetchedAt: string;
  /** When the server last confirmed them current (a download or a 304): the data's age counts from here. */
  checkedAt: string;
  etag?: string;
  lastModified?: string;
  size: number;
  sha256: string;
}

/** The cached copy: its file and what is known about it. */
export interface CachedTracker {
  dataPath: string;
  meta: TrackerMeta;
}

/** A download not yet installed: parse `tmpPath`, then install or discard it. */
export interface PendingTracker {
  tmpPath: string;
  meta: TrackerMeta;
}

export interface FetchTrackerOptions {
  maxBytes?: number;
  /** Attempts in all (default 3); connection errors, 408, 429 and 5xx are retried. */
  attempts?: number;
  baseDelayMs?: number;
  /** How long to wait for the headers, and then between two pieces of the body (default 60 s). */
  timeoutMs?: number;
  now?: () => Date;
}

/** The cache directory of the feed at `url`. */
export function trackerDir(cacheDir: string, url: string): string {
  const key = createHash("sha256").update(url).digest("hex").slice(0, 16);
  return join(cacheDir, "vulndb", "debian-tracker", key);
}

/** The cached copy in `dir`, or undefined when there is none or it does not match its metadata. */
export async function readCachedTracker(dir: string): Promise<CachedTracker | undefined> {
  let meta: TrackerMeta;
  try {
    meta = JSON.parse(await readFile(join(dir, "meta.json"), "utf8"));
  } catch {
    return undefined;
  }
  if (
    typeof meta !== "object" ||
    meta === null ||
    typeof meta.url !== "string" ||
    typeof meta.sha256 !== "string" ||
    !/^[0-9a-f]{64}$/.test(meta.sha256) ||
    typeof meta.size !== "number" ||
    Number.isNaN(Date.parse(meta.fetchedAt)) ||
    Number.isNaN(Date.parse(meta.checkedAt))
  )
    return undefined;
  const dataPath = join(dir, `data-${meta.sha256}.json`);
  // A size check, not a hash: hashing 70 MB on every scan would cost more
  // than the compact cache saves. The file is named by its hash, and only
  // this code writes it.
  const info = await stat(dataPath).catch(() => undefined);
  if (info?.size !== meta.size) return undefined;
  return { dataPath, meta };
}

/**
 * Ask `url` for the feed, conditionally on `cached`. `not-modified` when the
 * server says the cached copy is current; otherwise the new bytes, written
 * to a temporary file in `dir` (FETCH_TOO_LARGE past `maxBytes`).
 */
export async function fetchTracker(
  url: string,
  dir: string,
  cached: CachedTracker | undefined,
  options: FetchTrackerOptions = {},
): Promise<{ kind: "not-modified" } | { kind: "downloaded"; pending: PendingTracker }> {
  const attempts = options.attempts ?? 3;
  const now = options.now ?? (() => new Date());
  await mkdir(dir, { recursive: true });
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await sleep((options.baseDelayMs ?? 500) * 2 ** (i - 1));
    try {
      return await attempt(url, dir, cached, options, now);
    } catch (err) {
      last = err;
      if (!(err instanceof Retryable)) break;
    }
  }
  if (last instanceof CudasealError) throw last;
  throw new CudasealError("FETCH_FAILED", `could not fetch ${url}: ${(last as Error)?.message ?? last}`, {
    hint: "check the network, or pass --offline to scan with the cached data",
    cause: (last as Error)?.cause ?? last,
    details: { url },
  });
}

class Retryable extends Error {}

async function attempt(
  url: string,
  dir: string,
  cached: CachedTracker | undefined,
  options: FetchTrackerOptions,
  now: () => Date,
): Promise<{ kind: "not-modified" } | { kind: "downloaded"; pending: PendingTracker }> {
  const headers: Record<string, string> = {};
  if (cached?.meta.url === url) {
    if (cached.meta.etag) headers["if-none-match"] = cached.meta.etag;
    if (cached.meta.lastModified) headers["if-modified-since"] = cached.meta.lastModified;
  }
  // One timer for the whole exchange, re-armed by every chunk: a server
  // that answers and then stalls mid-body is given up on like a silent one.
  const controller = new AbortController();
  const timeoutMs = options.timeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const arm = (why: string) => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Error(why)), timeoutMs);
  };
  arm("no response");
  try {
    return await exchange(url, dir, headers, cached, options, now, controller.signal, () =>
      arm(`no data for ${timeoutMs / 1000} s`),
    );
  } finally {
    clearTimeout(timer);
  }
}

async function exchange(
  url: string,
  dir: string,
  headers: Record<string, string>,
  cached: CachedTracker | undefined,
  options: FetchTrackerOptions,
  now: () => Date,
  signal: AbortSignal,
  alive: () => void,
): Promise<{ kind: "not-modified" } | { kind: "downloaded"; pending: PendingTracker }> {
  let res: Response;
  try {
    res = await fetch(url, { headers, redirect: "follow", signal });
  } catch (err) {
    throw new Retryable(`connection failed: ${(err as Error).message}`, { cause: err });
  }
  alive();
  if (res.status === 304 && cached) return { kind: "not-modified" };
  if (!res.ok) {
    await res.body?.cancel();
    const message = `${url}: HTTP ${res.status}`;
    if (res.status === 408 || res.status === 429 || res.status >= 500) throw new Retryable(message);
    throw new CudasealError("FETCH_FAILED", message, { details: { url, status: res.status } });
  }
  const max = options.maxBytes ?? DEFAULT_MAX_DOWNLOAD;
  const tooLarge = () =>
    new CudasealError("FETCH_TOO_LARGE", `${url} is larger than the ${max}-byte limit`, {
      hint: "the tracker's export is tens of MB; a server sending more is broken or hostile",
      details: { url, max },
    });
  // Content-Length counts the encoded bytes; the cap is on what is written.
  const declared = Number(res.headers.get("content-length") ?? Number.NaN);
  if (!res.headers.get("content-encoding") && declared > max) {
    await res.body?.cancel();
    throw tooLarge();
  }
  const tmpPath = join(dir, `download-${randomBytes(6).toString("hex")}.tmp`);
  const out = createWriteStream(tmpPath, { flags: "wx" });
  let writeError: Error | undefined;
  out.on("error", (err) => {
    writeError ??= err;
  });
  const hash = createHash("sha256");
  let size = 0;
  try {
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        alive();
        size += chunk.byteLength;
        if (size > max) throw tooLarge();
        hash.update(chunk);
        if (!out.write(chunk) && !writeError) await once(out, "drain");
        if (writeError) throw writeError;
      }
    } catch (err) {
      if (err instanceof CudasealError || err === writeError) throw err;
      throw new Retryable(`transfer interrupted: ${(err as Error).message}`, { cause: err });
    }
    await new Promise<void>((resolve, reject) =>
      out.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
  } catch (err) {
    out.destroy();
    await rm(tmpPath, { force: true });
    throw err;
  }
  const at = now().toISOString();
  const meta: TrackerMeta = {
    url,
    fetchedAt: at,
    checkedAt: at,
    etag: res.headers.get("etag") ?? undefined,
    lastModified: res.headers.get("last-modified") ?? undefined,
    size,
    sha256: hash.digest("hex"),
  };
  return { kind: "downloaded", pending: { tmpPath, meta } };
}

/** Make a parsed download the cached copy, and remove the copy it replaces. */
export async function installTracker(dir: string, pending: PendingTracker): Promise<CachedTracker> {
  const dataPath = join(dir, `data-${pending.meta.sha256}.json`);
  await rename(pending.tmpPath, dataPath);
  await writeMeta(dir, pending.meta);
  for (const name of await readdir(dir)) {
    if (name.startsWith("data-") && name !== `data-${pending.meta.sha256}.json`)
      await rm(join(dir, name), { force: true });
  }
  return { dataPath, meta: pending.meta };
}

/** Throw a download away. */
export async function discardTracker(pending: PendingTracker): Promise<void> {
  await rm(pending.tmpPath, { force: true });
}

/** Record the cached copy's metadata (after a 304: a new checkedAt). */
export async function writeMeta(dir: string, meta: TrackerMeta): Promise<void> {
  await writeFileAtomic(join(dir, "meta.json"), `${JSON.stringify(meta, null, 2)}\n`);
}
