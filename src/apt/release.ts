// A suite's Release file, read only after its signature has been checked
// (inrelease.ts): which indexes exist and their SHA256, and how long the
// metadata stays valid. Everything else apt fetches is trusted through the
// hashes listed here, so the list is parsed strictly.

import { type Paragraph, parseDeb822 } from "../deb/deb822.ts";
import { CudasealError } from "../errors.ts";

/** Hash and size of one file the Release vouches for. */
export interface ReleaseFile {
  /** Lower-case hex. */
  sha256: string;
  size: number;
}

/** The parts of a Release that cudaseal uses. */
export interface Release {
  origin?: string;
  label?: string;
  suite?: string;
  codename?: string;
  version?: string;
  date?: Date;
  validUntil?: Date;
  architectures: string[];
  /**
   * Component names as sources.list spells them. The security archive writes
   * `updates/main` while its paths say `main/`; like apt, the prefix is dropped.
   */
  components: string[];
  acquireByHash: boolean;
  /** Every file of the SHA256 list, by path relative to the suite directory. */
  sha256: Map<string, ReleaseFile>;
  /** Every field as written, in order. */
  fields: [string, string][];
}

/** How parseRelease names its input. */
export interface ParseReleaseOptions {
  /** Names the Release in error messages (its URL). */
  source?: string;
}

/** Parse the verified text of a Release; malformed or hash-less text is APT_RELEASE_INVALID. */
export function parseRelease(text: string, options: ParseReleaseOptions = {}): Release {
  const source = options.source ?? "Release";
  const fail = (message: string): CudasealError =>
    new CudasealError("APT_RELEASE_INVALID", `${source}: ${message}`, {
      hint: "the repository publishes a Release file cudaseal cannot use; check the mirror and suite",
      details: { url: options.source },
    });

  const paragraphs = parseDeb822(text, { source });
  if (paragraphs.length !== 1) throw fail(`expected one paragraph, found ${paragraphs.length}`);
  const p = paragraphs[0];

  const hashes = p.get("SHA256");
  if (hashes === undefined) throw fail("has no SHA256 list (MD5Sum and SHA1 alone are not trusted)");

  const date = optionalDate(p, "Date", fail);
  const validUntil = optionalDate(p, "Valid-Until", fail);
  const acquireByHash = p.get("Acquire-By-Hash");
  if (acquireByHash !== undefined && acquireByHash !== "yes" && acquireByHash !== "no") {
    throw fail(`Acquire-By-Hash must be yes or no, not ${JSON.stringify(clip(acquireByHash))}`);
  }

  return {
    origin: p.get("Origin"),
    label: p.get("Label"),
    suite: p.get("Suite"),
    codename: p.get("Codename"),
    version: p.get("Version"),
    date,
    validUntil,
    architectures: words(p.get("Architectures")),
    components: [...new Set(words(p.get("Components")).map((c) => c.slice(c.lastIndexOf("/") + 1)))],
    acquireByHash: acquireByHash === "yes",
    sha256: parseHashList(hashes, fail),
    fields: p.fields.map(([name, value]) => [name, value]),
  };
}

/** The clock, and the user's leave to use stale metadata. */
export interface FreshnessOptions {
  now: Date;
  /** Accept a Release whose Valid-Until has passed (and skip the date checks). */
  allowExpired: boolean;
  /** Where the Release came from, for messages. */
  url: string;
  /** How far in the future Date may be, for clocks that disagree (default MAX_FUTURE_MS). */
  maxFutureMs?: number;
}

/**
 * How far ahead of this machine's clock a Release's Date may be. apt allows
 * 10 seconds (Acquire::Max-FutureTime); five minutes spares a build machine
 * or VM whose clock lags a little. The bound matters beyond freshness: the
 * newest Date accepted becomes the floor below which a Release is a rollback
 * (release-rollback.ts), so it is also how far a wrongly dated Release could
 * raise that floor ahead of the archive's real ones.
 */
export const MAX_FUTURE_MS = 5 * 60 * 1000;

/**
 * Refuse stale metadata: a Valid-Until in the past is APT_RELEASE_EXPIRED
 * (a mirror frozen in time can withhold security updates while its old
 * signature still verifies); a Date further ahead than the tolerance is
 * APT_RELEASE_FROM_FUTURE. `allowExpired` skips both, like apt's Check-Date.
 */
export function checkFresh(release: Release, options: FreshnessOptions): void {
  if (options.allowExpired) return;
  const now = options.now.getTime();
  if (release.validUntil !== undefined && release.validUntil.getTime() < now) {
    throw new CudasealError(
      "APT_RELEASE_EXPIRED",
      `${options.url} expired on ${release.validUntil.toISOString()} (Valid-Until)`,
      {
        hint: "the mirror is out of date or replaying old metadata; use a current mirror, or --allow-expired for a snapshot archive",
        details: {
          url: options.url,
          validUntil: release.validUntil.toISOString(),
          now: options.now.toISOString(),
        },
      },
    );
  }
  const maxFuture = options.maxFutureMs ?? MAX_FUTURE_MS;
  if (release.date !== undefined && release.date.getTime() > now + maxFuture) {
    throw new CudasealError(
      "APT_RELEASE_FROM_FUTURE",
      `${options.url} is dated ${release.date.toISOString()}, in the future`,
      {
        hint: "check this machine's clock (a Release may be dated at most 5 minutes ahead of it); --allow-expired skips the date checks",
        details: { url: options.url, date: release.date.toISOString(), now: options.now.toISOString() },
      },
    );
  }
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * An RFC 2822 date as Release files write it, `Sat, 08 Nov 2025 09:51:22 UTC`;
 * the weekday is optional and the zone is UTC, GMT, Z or ±hhmm. Undefined
 * when the text is not such a date.
 */
export function parseReleaseDate(text: string): Date | undefined {
  const match =
    /^(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), +)?(\d{1,2}) +([A-Z][a-z]{2}) +(\d{4}) +(\d{2}):(\d{2})(?::(\d{2}))? +(UTC|GMT|Z|[+-]\d{4})$/.exec(
      text.trim(),
    );
  if (!match) return undefined;
  const [, day, monthName, year, hour, minute, second = "0", zone] = match;
  const month = MONTHS.indexOf(monthName);
  if (month === -1) return undefined;
  const d = Number(day);
  const h = Number(hour);
  const mi = Number(minute);
  const s = Number(second);
  // A leap second (60) is legal in RFC 2822; Date folds it into the next minute.
  if (d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  let ms = Date.UTC(Number(year), month, d, h, mi, s);
  // Date.UTC rolls 31 Feb over into March; such a date is not a date.
  if (new Date(Date.UTC(Number(year), month, d)).getUTCDate() !== d) return undefined;
  if (zone.startsWith("+") || zone.startsWith("-")) {
    const offset = (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5))) * 60_000;
    ms -= zone.startsWith("+") ? offset : -offset;
  }
  return new Date(ms);
}

function optionalDate(
  p: Paragraph,
  field: string,
  fail: (message: string) => CudasealError,
): Date | undefined {
  const value = p.get(field);
  if (value === undefined) return undefined;
  const date = parseReleaseDate(value);
  if (date === undefined) throw fail(`${field} is not a date: ${JSON.stringify(clip(value))}`);
  return date;
}

/**
 * The `hash size path` lines of the SHA256 field. A path that could climb out
 * of the suite directory, a malformed hash or size, or one path listed twice
 * with different contents makes the whole Release invalid.
 */
function parseHashList(value: string, fail: (message: string) => CudasealError): Map<string, ReleaseFile> {
  const files = new Map<string, ReleaseFile>();
  for (const line of value.split("\n")) {
    if (line.trim() === "") continue;
    const parts = line.trim().split(/[ \t]+/);
    if (parts.length !== 3) throw fail(`malformed SHA256 line ${JSON.stringify(clip(line))}`);
    const [hash, sizeText, path] = parts;
    if (!/^[0-9a-fA-F]{64}$/.test(hash))
      throw fail(`malformed SHA256 ${JSON.stringify(clip(hash))} for ${clip(path)}`);
    if (!/^\d{1,15}$/.test(sizeText))
      throw fail(`malformed size ${JSON.stringify(clip(sizeText))} for ${clip(path)}`);
    if (!isSafePath(path)) throw fail(`unsafe path ${JSON.stringify(clip(path))} in the SHA256 list`);
    const entry = { sha256: hash.toLowerCase(), size: Number(sizeText) };
    const previous = files.get(path);
    if (previous && (previous.sha256 !== entry.sha256 || previous.size !== entry.size)) {
      throw fail(`${clip(path)} is listed twice with different hashes`);
    }
    files.set(path, entry);
  }
  if (files.size === 0) throw fail("has an empty SHA256 list");
  return files;
}

/** Relative, no `.` or `..` segment, no empty segment, no backslash or control character. */
function isSafePath(path: string): boolean {
  if (path.startsWith("/") || path.includes("\\")) return false;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
  }
  return path.split("/").every((segment) => segment !== "" && segment !== "." && segment !== "..");
}

function words(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(/\s+/).filter((w) => w.length > 0);
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}
