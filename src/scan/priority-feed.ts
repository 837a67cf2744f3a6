// Where the prioritising feeds (CISA's KEV catalog, FIRST's EPSS scores) come
// from: a file the user names, read as it is; or the published feed (or a
// URL given), kept in the cache dir and refreshed with the same conditional
// GET as the tracker's data (tracker-download.ts), one directory per feed
// and URL:
//
//   <cache>/vulndb/<kev|epss>/<sha256(url)[:16]>/meta.json, data-<sha256>.json
//
// A download is parsed before it replaces the cached copy, so a broken feed
// never destroys a good one; a failed refresh falls back to the cached copy
// with a warning; --offline uses the cached copy or fails, and
// --skip-db-update uses it without asking (downloading only when nothing is
// cached), as for the tracker's data; data older than
// the age limit is refused (SCAN_DB_STALE), as the tracker's is.

import { createHash } from "node:crypto";
import { join } from "node:path";
import { CudasealError, isCudasealError } from "../errors.ts";
import { redactUrl } from "../http/index.ts";
import { readRegularFile } from "../util/read-regular-file.ts";
import { formatDuration } from "./duration.ts";
import { type EpssScores, parseEpss } from "./epss.ts";
import { type KevCatalog, parseKev } from "./kev.ts";
import { DEFAULT_MAX_DB_AGE_MS } from "./tracker-database.ts";
import { type CachedTracker, refreshTracker } from "./tracker-download.ts";

/** Where CISA publishes the KEV catalog. */
export const DEFAULT_KEV_URL =
  "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json";
/** Where FIRST's EPSS scores are published, daily. */
export const DEFAULT_EPSS_URL = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz";

/** The word that asks for the published feed instead of a file. */
export const PUBLISHED_FEED = "feed";

const FEEDS = {
  kev: { parse: parseKev, url: DEFAULT_KEV_URL, maxBytes: 64 * 1024 * 1024, what: "CISA's KEV catalog" },
  epss: { parse: parseEpss, url: DEFAULT_EPSS_URL, maxBytes: 256 * 1024 * 1024, what: "FIRST's EPSS scores" },
} as const;

type FeedKind = keyof typeof FEEDS;
type Parsed<K extends FeedKind> = K extends "kev" ? KevCatalog : EpssScores;

export interface PriorityFeedOptions {
  /** A file; an http(s) URL; or `feed`, the published feed (`url`, else the default). */
  source: string;
  /** The published feed's URL, for `feed` (tests, mirrors). */
  url?: string;
  cacheDir: string;
  offline?: boolean;
  /** Use the cached copy without asking for a newer one; download only when nothing is cached. */
  skipUpdate?: boolean;
  /** The oldest cached copy accepted, counted from when the server last confirmed it (default 72 h). */
  maxAgeMs?: number;
  maxAgeLabel?: string;
  now?: () => Date;
}

/** Where a feed's data came from, for the report. */
export interface FeedInfo {
  source: string;
  update: "local" | "downloaded" | "not-modified" | "cached" | "refresh-failed";
  checkedAt?: string;
  ageSeconds?: number;
  sha256?: string;
}

export interface OpenedFeed<T> {
  data: T;
  info: FeedInfo;
  warnings: string[];
}

/** CISA's KEV catalog from a file, a URL or the published feed. */
export function openKev(options: PriorityFeedOptions): Promise<OpenedFeed<KevCatalog>> {
  return openFeed("kev", options);
}

/** FIRST's EPSS scores from a file, a URL or the published feed. */
export function openEpss(options: PriorityFeedOptions): Promise<OpenedFeed<EpssScores>> {
  return openFeed("epss", options);
}

async function openFeed<K extends FeedKind>(
  kind: K,
  options: PriorityFeedOptions,
): Promise<OpenedFeed<Parsed<K>>> {
  const feed = FEEDS[kind];
  const parse = feed.parse as (bytes: Uint8Array, label: string) => Parsed<K>;
  const isUrl = /^https?:\/\//.test(options.source);
  if (options.source !== PUBLISHED_FEED && !isUrl) {
    const bytes = await readRegularFile(options.source, { what: feed.what, max: feed.maxBytes }).catch(
      (cause) => {
        if (isCudasealError(cause)) throw cause;
        throw new CudasealError("FEED_INVALID", `cannot read ${feed.what} from ${options.source}`, {
          hint: `name the file, an http(s) URL, or '${PUBLISHED_FEED}' for the published feed`,
          cause,
        });
      },
    );
    return {
      data: parse(bytes, options.source),
      info: { source: options.source, update: "local" },
      warnings: [],
    };
  }
  const url = isUrl ? options.source : (options.url ?? feed.url);
  const dir = join(
    options.cacheDir,
    "vulndb",
    kind,
    createHash("sha256").update(url).digest("hex").slice(0, 16),
  );
  // What messages and the report show: a URL's credentials and query (a signed mirror's token) stay out.
  const shown = redactUrl(url);
  const now = options.now ?? (() => new Date());
  const refreshed = await refreshTracker(
    url,
    dir,
    {
      offline: options.offline,
      skipUpdate: options.skipUpdate,
      maxBytes: feed.maxBytes,
      now,
      tooLargeHint: `${feed.what} is a few MB; a server sending more is broken or hostile`,
    },
    {
      parse: async (pending) =>
        parse(await readRegularFile(pending.tmpPath, { what: feed.what, max: pending.meta.size }), shown),
      // A download that is not the feed is the user's URL to fix, not a network hiccup to ride out.
      isFatal: (err) => isCudasealError(err, "FEED_INVALID"),
    },
  );
  const { cached, update, refreshError } = refreshed;
  let data = refreshed.parsed;
  if (!cached && refreshError) throw refreshError;
  if (!cached) {
    throw new CudasealError("SCAN_DB_MISSING", `no cached copy of ${feed.what} from ${shown}`, {
      hint: `run once without --offline to download it, or pass the file: --${kind} FILE`,
      details: { url: shown },
    });
  }
  const ageMs = now().getTime() - Date.parse(cached.meta.checkedAt);
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_DB_AGE_MS;
  if (ageMs > maxAgeMs) {
    throw new CudasealError(
      "SCAN_DB_STALE",
      `the cached copy of ${feed.what} is ${formatDuration(ageMs)} old, older than the ${options.maxAgeLabel ?? formatDuration(maxAgeMs)} allowed`,
      {
        hint: "refresh it with network access, or accept older data with --max-db-age",
        cause: refreshError,
        details: { url: shown, checkedAt: cached.meta.checkedAt },
      },
    );
  }
  const warnings = refreshError
    ? [
        `could not refresh ${feed.what} (${refreshError.message}); using the cached copy, ${formatDuration(ageMs)} old`,
      ]
    : [];
  data ??= await readCached(cached, parse, shown);
  return {
    data,
    info: {
      source: shown,
      update,
      checkedAt: cached.meta.checkedAt,
      ageSeconds: Math.max(0, Math.floor(ageMs / 1000)),
      sha256: cached.meta.sha256,
    },
    warnings,
  };
}

async function readCached<T>(
  cached: CachedTracker,
  parse: (b: Uint8Array, l: string) => T,
  label: string,
): Promise<T> {
  // Never past the size its metadata gives.
  const bytes = await readRegularFile(cached.dataPath, { what: "cached feed", max: cached.meta.size });
  return parse(bytes, label);
}
