// The flags of every command that reads vulnerability data (scan, compare),
// turned into the options of openVulnerabilityDatabase: a local `--db`, or
// the tracker's feed with its URL, cache and age limits.

import { defaultCacheDir } from "../cache/dirs.ts";
import { CudasealError } from "../errors.ts";
import {
  type DatabaseOptions,
  DEFAULT_MAX_DB_AGE_MS,
  DEFAULT_TRACKER_URL,
  parseDuration,
} from "../scan/index.ts";
import { type Flags, type FlagValues, stringFlag } from "./command.ts";

/** The default --max-db-age, as help text spells it. */
export const DEFAULT_MAX_DB_AGE = `${DEFAULT_MAX_DB_AGE_MS / 3_600_000}h`;

export const DATABASE_FLAGS: Flags = {
  db: { type: "string" },
  "db-url": { type: "string" },
  "cache-dir": { type: "string" },
  "max-db-age": { type: "string" },
  "skip-db-update": { type: "boolean" },
  offline: { type: "boolean" },
};

export const DATABASE_FLAGS_HELP = `  --db FILE_OR_DIR        a local vulnerability database instead of the tracker's feed
  --db-url URL            the tracker JSON's URL (env CUDASEAL_DB_URL;
                          default: ${DEFAULT_TRACKER_URL})
  --cache-dir DIR         where the data is kept (default: ~/.cache/cudaseal)
  --max-db-age DURATION   the oldest data accepted, as 30m, 24h, 7d (default: ${DEFAULT_MAX_DB_AGE})
  --skip-db-update        use the cached data without asking for a newer one
                          (downloads only when nothing is cached)
  --offline               never touch the network: use the cached data or fail`;

/** Where the vulnerability data comes from, from the flags; USAGE for flags that contradict each other. */
export function databaseOptionsFrom(flags: FlagValues): DatabaseOptions {
  const db = stringFlag(flags, "db");
  const dbUrl = stringFlag(flags, "db-url") ?? (process.env.CUDASEAL_DB_URL || undefined);
  if (db !== undefined && stringFlag(flags, "db-url") !== undefined) {
    throw new CudasealError("USAGE", "--db and --db-url both name a database", {
      hint: "pass one: --db for a local file, --db-url for the feed to download",
    });
  }
  if (dbUrl !== undefined && !/^https?:\/\//.test(dbUrl)) {
    throw new CudasealError("USAGE", `--db-url must be an http(s) URL: ${dbUrl}`);
  }
  const maxAge = stringFlag(flags, "max-db-age");
  return {
    db,
    feed: {
      cacheDir: stringFlag(flags, "cache-dir") ?? defaultCacheDir(),
      url: dbUrl,
      offline: flags.offline === true,
      skipUpdate: flags["skip-db-update"] === true,
      maxAgeMs: maxAge === undefined ? undefined : parseDuration(maxAge, "--max-db-age"),
      maxAgeLabel: maxAge ?? DEFAULT_MAX_DB_AGE,
    },
  };
}

/** Whether any flag of DATABASE_FLAGS was given (for a command that can do without the data). */
function databaseFlagGiven(flags: FlagValues): boolean {
  return Object.keys(DATABASE_FLAGS).some((name) => flags[name] !== undefined);
}

/**
 * Whether a command whose CVEs are optional (compare, report) matches them:
 * not with --no-cves, which together with a database flag is a usage error,
 * since one of the two would be silently ignored.
 */
export function wantsCves(flags: FlagValues, doing: string): boolean {
  const cves = flags["no-cves"] !== true;
  if (!cves && databaseFlagGiven(flags)) {
    throw new CudasealError(
      "USAGE",
      "--no-cves reads no vulnerability data, so the database flags do nothing",
      {
        hint: `drop --no-cves to ${doing}, or the database flags to skip them`,
      },
    );
  }
  return cves;
}

const DATA_ERRORS: ReadonlySet<string> = new Set([
  "FETCH_FAILED",
  "FETCH_TOO_LARGE",
  "FETCH_TIMEOUT",
  "SCAN_DB_MISSING",
  "SCAN_DB_STALE",
]);

/**
 * For a command whose CVEs are optional (compare, report): when the
 * vulnerability data could not be had, the hint adds `instead`, the way to
 * do without it (`--no-cves`). Any other error passes through as it is.
 */
export function withNoCvesHint(err: unknown, instead: string): unknown {
  if (!(err instanceof CudasealError) || !DATA_ERRORS.has(err.code)) return err;
  return new CudasealError(err.code, err.message, {
    hint: `${err.hint ? `${err.hint}; ` : ""}${instead}`,
    cause: err.cause ?? err,
    details: err.details,
  });
}
