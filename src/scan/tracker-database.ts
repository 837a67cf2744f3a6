// The default vulnerability database: the Debian Security Tracker's JSON,
// downloaded into the cache dir and kept current, then cut down to one
// release. The steps, in order:
//
//   1. refresh   conditional GET (skipped offline, or with skipUpdate when a
//                copy exists); a failure falls back to the cached copy with a
//                warning
//   2. age       refuse data older than maxAgeMs (SCAN_DB_STALE)
//   3. load      the release's compact cache, else parse the raw JSON and
//                write the compact cache (a damaged one is rebuilt)
//
// A new download is parsed before it replaces the cached copy, so a broken
// feed never destroys a good cache. Nothing here prints: warnings are
// returned for the CLI to show.

import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { CudasealError, isCudasealError } from "../errors.ts";
import { redactUrl } from "../http/index.ts";
import { writeFileAtomic } from "../util/atomic-file.ts";
import { readRegularFile } from "../util/read-regular-file.ts";
import type { Advisory } from "./advisory.ts";
import { formatDuration } from "./duration.ts";
import { compactPath, encodeCompact, readCompact, trackerReleaseAdvisories } from "./tracker-compact.ts";
import {
  type CachedTracker,
  DEFAULT_TRACKER_URL,
  type FetchTrackerOptions,
  refreshTracker,
  trackerDir,
} from "./tracker-download.ts";

/** How old the data may be by default: the tracker changes many times a day. */
export const DEFAULT_MAX_DB_AGE_MS = 72 * 3_600_000;

export interface TrackerDatabaseOptions extends FetchTrackerOptions {
  cacheDir: string;
  /** The release to load (a codename). */
  release: string;
  /** The feed (default: the tracker's published JSON export). */
  url?: string;
  /** Never touch the network: use the cached copy or fail. */
  offline?: boolean;
  /** Do not ask whether a newer copy exists; download only when none is cached. */
  skipUpdate?: boolean;
  /** The oldest data accepted, counted from when the server last confirmed it (default 72 h). */
  maxAgeMs?: number;
  /** How the caller spells maxAgeMs (`72h`), for messages. */
  maxAgeLabel?: string;
}

/** Where the data came from and how old it is, for the report. */
export interface DatabaseInfo {
  format: "debian-tracker" | "osv";
  /** The feed URL, or the file or directory given. */
  source: string;
  /** What this scan did to get it. */
  update: "downloaded" | "not-modified" | "cached" | "refresh-failed" | "local";
  fetchedAt?: string;
  checkedAt?: string;
  /** Seconds since the server last confirmed the data. */
  ageSeconds?: number;
  sha256?: string;
  size?: number;
  /** Whether the release's compact cache was used (`hit`) or (re)built. */
  compactCache?: "hit" | "built" | "rebuilt";
}

export interface OpenedDatabase {
  advisories: Advisory[];
  info: DatabaseInfo;
  /** Things the user should know that did not stop the scan. */
  warnings: string[];
}

/** The tracker's advisories for one release, downloading or refreshing the cached copy as allowed. */
export async function openTrackerDatabase(options: TrackerDatabaseOptions): Promise<OpenedDatabase> {
  const url = options.url ?? DEFAULT_TRACKER_URL;
  const now = options.now ?? (() => new Date());
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_DB_AGE_MS;
  const dir = trackerDir(options.cacheDir, url);
  // What messages and the report show: a --db-url's credentials and query (a mirror's token) stay out.
  const shown = redactUrl(url);
  const warnings: string[] = [];
  const refreshed = await refreshTracker(url, dir, options, {
    // Parsed before it is installed: a broken feed leaves the old copy alone.
    parse: (pending) => parseRaw(pending.tmpPath, pending.meta.size, options.release, shown),
    installed: async (copy, advisories) => {
      await writeCompact(dir, copy, options.release, advisories);
      await pruneCompact(dir, copy.meta.sha256);
    },
  });
  const { cached, update, refreshError } = refreshed;
  let loaded: { advisories: Advisory[]; compact: DatabaseInfo["compactCache"] } | undefined =
    refreshed.parsed && { advisories: refreshed.parsed, compact: "built" };
  if (!cached && refreshError) {
    throw new CudasealError(refreshError.code, `no vulnerability data: ${refreshError.message}`, {
      hint: "check the network (or --db-url); or download the tracker's JSON yourself and pass --db FILE",
      cause: refreshError,
      details: { url: shown },
    });
  }
  if (!cached) {
    throw new CudasealError("SCAN_DB_MISSING", `no cached vulnerability data for ${shown}`, {
      hint: "run the scan once without --offline to download it, or pass --db FILE",
      details: { url: shown },
    });
  }

  const ageMs = now().getTime() - Date.parse(cached.meta.checkedAt);
  const age = formatDuration(ageMs);
  const limit = options.maxAgeLabel ?? formatDuration(maxAgeMs);
  if (ageMs > maxAgeMs) {
    const why = refreshError
      ? `the refresh failed (${refreshError.message}); `
      : options.offline || options.skipUpdate
        ? "it was not refreshed (--offline or --skip-db-update); "
        : "";
    throw new CudasealError(
      "SCAN_DB_STALE",
      `the vulnerability data is ${age} old, older than the ${limit} allowed`,
      {
        hint: `${why}refresh it by scanning with network access, or accept older data with --max-db-age (e.g. --max-db-age ${Math.ceil(ageMs / 86_400_000) + 1}d)`,
        cause: refreshError,
        details: { url: shown, checkedAt: cached.meta.checkedAt, ageSeconds: Math.floor(ageMs / 1000) },
      },
    );
  }
  if (refreshError) {
    warnings.push(
      `could not refresh the vulnerability data (${refreshError.message}); using the cached copy, ${age} old`,
    );
  }

  loaded ??= await loadRelease(dir, cached, options.release, shown);
  return {
    advisories: loaded.advisories,
    info: {
      format: "debian-tracker",
      source: shown,
      update,
      fetchedAt: cached.meta.fetchedAt,
      checkedAt: cached.meta.checkedAt,
      ageSeconds: Math.max(0, Math.floor(ageMs / 1000)),
      sha256: cached.meta.sha256,
      size: cached.meta.size,
      compactCache: loaded.compact,
    },
    warnings,
  };
}

/** One release's advisories: from its compact cache, else parsed from the raw copy and cached. */
async function loadRelease(
  dir: string,
  cached: CachedTracker,
  release: string,
  label: string,
): Promise<{ advisories: Advisory[]; compact: DatabaseInfo["compactCache"] }> {
  const path = compactPath(join(dir, "compact"), cached.meta.sha256, release);
  let compact: DatabaseInfo["compactCache"] = "built";
  try {
    const advisories = await readCompact(path, cached.meta.sha256, release);
    if (advisories) return { advisories, compact: "hit" };
  } catch (err) {
    // CACHE_CORRUPT: never trusted, rebuilt from the raw data below.
    if (!isCudasealError(err, "CACHE_CORRUPT")) throw err;
    compact = "rebuilt";
  }
  const advisories = await parseRaw(cached.dataPath, cached.meta.size, release, label);
  await writeCompact(dir, cached, release, advisories);
  return { advisories, compact };
}

/** The release's advisories in the raw JSON at `path` (`size` bytes), as the compact cache will give them back. */
async function parseRaw(path: string, size: number, release: string, label: string): Promise<Advisory[]> {
  try {
    // Never past the size its metadata gives: a cache file that grew, or is now a FIFO, is not read on.
    const bytes = await readRegularFile(path, { what: "cached tracker data", max: size });
    return trackerReleaseAdvisories(bytes, release);
  } catch (err) {
    if (!isCudasealError(err, "CONFIG_INVALID")) throw err;
    throw new CudasealError("CONFIG_INVALID", `${label} did not serve the tracker's JSON: ${err.message}`, {
      hint: "point --db-url at the Debian Security Tracker's JSON export",
      cause: err,
    });
  }
}

async function writeCompact(
  dir: string,
  cached: CachedTracker,
  release: string,
  advisories: readonly Advisory[],
): Promise<void> {
  const compactDir = join(dir, "compact");
  await mkdir(compactDir, { recursive: true });
  await writeFileAtomic(
    compactPath(compactDir, cached.meta.sha256, release),
    encodeCompact(cached.meta.sha256, release, advisories),
  );
}

/** Remove compact caches made from raw data that is gone. */
async function pruneCompact(dir: string, sha256: string): Promise<void> {
  const compactDir = join(dir, "compact");
  for (const name of await readdir(compactDir).catch(() => [] as string[])) {
    if (!name.startsWith(`${sha256}.`)) await rm(join(compactDir, name), { force: true });
  }
}
