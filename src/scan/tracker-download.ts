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
// like any other: refreshTracker has the caller parse a download before it
// is installed. The KEV and EPSS feeds are kept the same way
// (priority-feed.ts), under vulndb/kev and vulndb/epss.

import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { CudasealError, isCudasealError } from "../errors.ts";
import { type GetOptions, openGet, redactUrl, retryingGet, tooLarge, writeBody } from "../http/index.ts";
import { writeFileAtomic } from "../util/atomic-file.ts";
import { readRegularFile } from "../util/read-regular-file.ts";

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

export interface FetchTrackerOptions
  extends Pick<GetOptions, "attempts" | "baseDelayMs" | "maxDelayMs" | "timeouts" | "signal"> {
  maxBytes?: number;
  now?: () => Date;
  /** Why a download past maxBytes is refused (default: the tracker's export's size). */
  tooLargeHint?: string;
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
    // A few hundred bytes; a FIFO or a huge file there is a cache miss, not a wait.
    const bytes = await readRegularFile(join(dir, "meta.json"), { what: "tracker metadata", max: 64 * 1024 });
    meta = JSON.parse(bytes.toString("utf8"));
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
  const now = options.now ?? (() => new Date());
  const max = options.maxBytes ?? DEFAULT_MAX_DOWNLOAD;
  const headers: Record<string, string> = {};
  if (cached?.meta.url === url) {
    if (cached.meta.etag) headers["if-none-match"] = cached.meta.etag;
    if (cached.meta.lastModified) headers["if-modified-since"] = cached.meta.lastModified;
  }
  const get: GetOptions = {
    attempts: options.attempts ?? 3,
    baseDelayMs: options.baseDelayMs ?? 500,
    maxDelayMs: options.maxDelayMs,
    timeouts: options.timeouts,
    signal: options.signal,
    headers,
    hint: "check the network, or pass --offline to scan with the cached data",
  };
  const refused = () =>
    tooLarge(
      url,
      max,
      undefined,
      options.tooLargeHint ??
        "the tracker's export is tens of MB; a server sending more is broken or hostile",
    );
  await mkdir(dir, { recursive: true });
  return retryingGet(url, get, async () => {
    const res = await openGet(url, get, cached ? [304] : []);
    if (res.status === 304) return { kind: "not-modified" };
    const tmpPath = join(dir, `download-${randomBytes(6).toString("hex")}.tmp`);
    const { size, sha256 } = await writeBody(res, tmpPath, { maxBytes: max, tooLarge: refused });
    const at = now().toISOString();
    const meta: TrackerMeta = {
      url,
      fetchedAt: at,
      checkedAt: at,
      etag: res.headers.get("etag") ?? undefined,
      lastModified: res.headers.get("last-modified") ?? undefined,
      size,
      sha256,
    };
    return { kind: "downloaded", pending: { tmpPath, meta } };
  });
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

export interface RefreshOptions extends FetchTrackerOptions {
  /** Never touch the network: the cached copy, if any. */
  offline?: boolean;
  /** Do not ask whether a newer copy exists; download only when none is cached. */
  skipUpdate?: boolean;
}

/** What a refresh left: the copy to use, how it came, and why the refresh failed where the old copy stands in. */
export interface Refreshed<T> {
  cached?: CachedTracker;
  update: "downloaded" | "not-modified" | "cached" | "refresh-failed";
  refreshError?: CudasealError;
  /** What `parse` made of a new download. */
  parsed?: T;
}

/** What a feed does with a download: parse it (throwing leaves the old copy alone), then finish the install. */
export interface RefreshSteps<T> {
  parse(pending: PendingTracker): Promise<T>;
  installed?(cached: CachedTracker, parsed: T): Promise<void>;
  /** A failure to throw as it is rather than fall back to the cached copy. */
  isFatal?(err: unknown): boolean;
}

/**
 * The refresh every cached feed (the tracker's data, KEV, EPSS) shares:
 * unless offline, or skipUpdate with a copy cached, a conditional GET; a 304
 * renews the copy's checkedAt; a new download is parsed before it replaces
 * the copy, so a broken feed never destroys a good one. A failure is
 * returned as refreshError, the cached copy (if any) standing in; the
 * caller decides what no copy at all means.
 */
export async function refreshTracker<T>(
  url: string,
  dir: string,
  options: RefreshOptions,
  steps: RefreshSteps<T>,
): Promise<Refreshed<T>> {
  const now = options.now ?? (() => new Date());
  let cached = await readCachedTracker(dir);
  if (options.offline || (options.skipUpdate && cached)) return { cached, update: "cached" };
  try {
    const got = await fetchTracker(url, dir, cached, options);
    if (got.kind === "not-modified") {
      if (!cached) return { update: "cached" };
      cached = { ...cached, meta: { ...cached.meta, checkedAt: now().toISOString() } };
      await writeMeta(dir, cached.meta);
      return { cached, update: "not-modified" };
    }
    try {
      const parsed = await steps.parse(got.pending);
      cached = await installTracker(dir, got.pending);
      await steps.installed?.(cached, parsed);
      return { cached, update: "downloaded", parsed };
    } finally {
      await discardTracker(got.pending);
    }
  } catch (err) {
    if (steps.isFatal?.(err)) throw err;
    const refreshError = isCudasealError(err)
      ? err
      : new CudasealError("FETCH_FAILED", `could not refresh ${redactUrl(url)}`, { cause: err });
    return { cached, update: cached ? "refresh-failed" : "cached", refreshError };
  }
}
