// The compact cache of one release's slice of the tracker's JSON: only what
// matching needs (source, id, state, fixed version, severity, a short
// description), so a scan after the first reads a few MiB instead of parsing
// ~70 MB. One file per (raw file's SHA-256, release):
//
//   "cudaseal-tracker-compact 3\n"  SHA-256 of the payload (32 bytes)  payload
//
// The payload is UTF-8 text: a JSON header line, then five NUL-separated
// fields per advisory (source, id, state and severity codes, fixed version,
// description). One split() reads it back, several times faster than
// v8.deserialize of the same columns. The key makes a new download
// invalidate it; the checksum and a full shape check make a damaged file a
// CACHE_CORRUPT that the caller rebuilds from the raw data, never data it
// trusts.

import { createHash } from "node:crypto";
import { join } from "node:path";
import { CudasealError } from "../errors.ts";
import { readRegularFile } from "../util/read-regular-file.ts";
import { type Advisory, type AdvisoryState, SEVERITIES } from "./advisory.ts";
import { readTrackerRelease } from "./tracker-release-reader.ts";

// 3: no-dsa and postponed entries became open (they were wont-fix); older files are rebuilt.
const MAGIC = Buffer.from("cudaseal-tracker-compact 3\n");
const STATES: readonly AdvisoryState[] = ["resolved", "open", "wont-fix"];
const FIELDS = 5;
/** Descriptions are kept to this many characters: the report shows one line. */
export const DESCRIPTION_MAX = 200;
/** A compact cache is smaller than the raw data it is made from, itself capped at 512 MiB. */
const MAX_COMPACT = 512 * 1024 * 1024;

/** The file a release's compact cache lives in, under `dir`. */
export function compactPath(dir: string, rawSha256: string, release: string): string {
  return join(dir, `${rawSha256}.${release}.bin`);
}

/** A description as the compact cache keeps it: one line, at most DESCRIPTION_MAX characters. */
export function shortDescription(text: string): string {
  // Shortened before the whitespace is folded, so the regex sees 200 characters, not the whole text.
  const long = text.length > DESCRIPTION_MAX;
  let head = long ? text.slice(0, DESCRIPTION_MAX - 1) : text;
  // Never half a surrogate pair: it would not survive the UTF-8 round trip.
  if (long && /[\ud800-\udbff]$/.test(head)) head = head.slice(0, -1);
  const folded = /[^\S ]|\0| {2}|^ | $/.test(head) ? head.replace(/[\s\0]+/g, " ").trim() : head;
  return long ? `${folded}…` : folded;
}

/**
 * Whether an advisory fits the compact form: no NUL or newline in its id,
 * source or fixed version (the format's separators; only hostile data has
 * them, and such an entry is dropped the same way on every path).
 */
export function isCompactable(a: Advisory): boolean {
  return !BAD_FIELD.test(a.id) && !BAD_FIELD.test(a.source) && !BAD_FIELD.test(a.fixedVersion ?? "");
}
const BAD_FIELD = /[\0\n]/;

/** One release's advisories in the tracker JSON `bytes`, as the compact cache gives them back. */
export function trackerReleaseAdvisories(bytes: Uint8Array, release: string): Advisory[] {
  return readTrackerRelease(bytes, release, {
    description: shortDescription,
    descriptionChars: DESCRIPTION_MAX,
  }).filter(isCompactable);
}

/** The compact file's bytes for one release's advisories (from trackerReleaseAdvisories) of the raw file `rawSha256`. */
export function encodeCompact(rawSha256: string, release: string, advisories: readonly Advisory[]): Buffer {
  const parts: string[] = [JSON.stringify({ raw: rawSha256, release, rows: advisories.length })];
  for (const a of advisories) {
    const code = `${STATES.indexOf(a.state)}${SEVERITIES.indexOf(a.severity)}`;
    parts.push(a.source, a.id, code, a.fixedVersion ?? "", a.description);
  }
  // The header ends with a newline, every field with a NUL.
  const payload = Buffer.from(`${parts[0]}\n${parts.slice(1).join("\0")}\0`);
  return Buffer.concat([MAGIC, createHash("sha256").update(payload).digest(), payload]);
}

/** The advisories in a compact file's bytes; CACHE_CORRUPT unless every check passes. */
export function decodeCompact(bytes: Buffer, rawSha256: string, release: string): Advisory[] {
  const corrupt = (why: string, cause?: unknown) =>
    new CudasealError("CACHE_CORRUPT", `compact vulnerability cache: ${why}`, { cause });
  const head = MAGIC.length;
  if (bytes.length < head + 32 || !bytes.subarray(0, head).equals(MAGIC)) throw corrupt("bad header");
  const payload = bytes.subarray(head + 32);
  if (
    !createHash("sha256")
      .update(payload)
      .digest()
      .equals(bytes.subarray(head, head + 32))
  )
    throw corrupt("checksum mismatch");
  const text = payload.toString("utf8");
  const eol = text.indexOf("\n");
  let header: { raw?: unknown; release?: unknown; rows?: unknown };
  try {
    header = JSON.parse(text.slice(0, eol));
  } catch (cause) {
    throw corrupt("unreadable header", cause);
  }
  if (header?.raw !== rawSha256 || header.release !== release) throw corrupt("made for other data");
  const n = header.rows;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) throw corrupt("bad row count");
  const fields = text.slice(eol + 1).split("\0");
  // A trailing NUL ends the last field: one empty string after it.
  if (fields.length !== n * FIELDS + 1 || fields[n * FIELDS] !== "") throw corrupt("wrong shape");
  const out: Advisory[] = new Array(n);
  for (let i = 0, f = 0; i < n; i++, f += FIELDS) {
    const code = fields[f + 2];
    const state = code.length === 2 ? STATES[code.charCodeAt(0) - 48] : undefined;
    const severity = code.length === 2 ? SEVERITIES[code.charCodeAt(1) - 48] : undefined;
    if (state === undefined || severity === undefined || fields[f] === "" || fields[f + 1] === "")
      throw corrupt(`bad row ${i}`);
    const a: Advisory = {
      id: fields[f + 1],
      source: fields[f],
      release,
      state,
      severity,
      description: fields[f + 4],
    };
    if (fields[f + 3] !== "") a.fixedVersion = fields[f + 3];
    out[i] = a;
  }
  return out;
}

/** The compact cache at `path`, or undefined when it is missing; CACHE_CORRUPT when damaged. */
export async function readCompact(
  path: string,
  rawSha256: string,
  release: string,
): Promise<Advisory[] | undefined> {
  let bytes: Buffer;
  try {
    // A FIFO or a device here is damage like any other: CACHE_CORRUPT, and the cache is rebuilt.
    bytes = await readRegularFile(path, { what: "compact vulnerability cache", max: MAX_COMPACT });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CudasealError("CACHE_CORRUPT", `cannot read ${path}`, { cause: err });
  }
  return decodeCompact(bytes, rawSha256, release);
}
