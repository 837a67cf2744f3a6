// A targeted reader of the tracker's JSON: one release's advisories straight
// from the bytes, without building the ~70 MB document as objects. It walks
// the structure once (a small state machine over bytes; strings are skipped
// with a native indexOf for their closing quote) and materialises only what
// it needs:
//
//   depth 1 keys   source package names
//   depth 2 keys   vulnerability ids
//   depth 3        "description" (a string: only its head is decoded) and
//                  "releases"
//   depth 4        the key equal to the wanted release: its value is cut out
//                  and JSON.parse'd (a few hundred bytes)
//
// Everything else is skipped unread. The result equals
// debianTrackerAdvisories(JSON.parse(text), { release }) for well-formed
// input (test/scan/tracker-release-reader.test.ts checks it); the file is
// hostile, so structure errors are CONFIG_INVALID and nesting is capped.

import { CudasealError } from "../errors.ts";
import type { Advisory } from "./advisory.ts";
import { fromRelease } from "./debian-tracker.ts";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;
const MAX_DEPTH = 256;

// What the next token may be.
const VALUE = 0; // a value (after ':' or ',' in an array, or at the start)
const KEY_OR_CLOSE = 1; // after '{'
const KEY = 2; // after ',' in an object
const COLON_NEXT = 3; // after a key
const COMMA_OR_CLOSE = 4; // after a value
const VALUE_OR_CLOSE = 5; // after '['
const DONE = 6; // after the top-level value

const OBJECT = 1;
const ARRAY = 2;

export interface ReleaseReaderOptions {
  /** Applied to each decoded description; `head` is at least this many characters of it. */
  description?: (text: string) => string;
  /** How much of a description to decode (characters, default all); the rest is never read. */
  descriptionChars?: number;
}

/** One release's advisories in the tracker JSON `bytes`; CONFIG_INVALID when it is not well-formed. */
export function readTrackerRelease(
  bytes: Uint8Array,
  release: string,
  options: ReleaseReaderOptions = {},
): Advisory[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const want = Buffer.from(release);
  const DESCRIPTION = Buffer.from("description");
  const RELEASES = Buffer.from("releases");
  const descriptionChars = options.descriptionChars;
  const out: Advisory[] = [];
  const kinds = new Uint8Array(MAX_DEPTH + 1);
  const n = buf.length;
  let depth = 0;
  let state = VALUE;
  // The path, where it matters: the keys at depths 1 to 4 of nested objects.
  let source = "";
  let id = "";
  let key3 = 0; // 1: description, 2: releases, 0: anything else
  let key4Wanted = false;
  // The entry being read (the depth-2 value).
  let description = "";
  let releasesIsObject = false;
  let relValue: unknown;
  let relStart = -1;
  let haveOsvId = false;
  let haveOsvAffected = false;

  const fail = (why: string, at: number): never => {
    throw new CudasealError("CONFIG_INVALID", `not valid JSON: ${why} at byte ${at}`, {
      details: { offset: at },
    });
  };
  /** The index of the quote that closes the string opened at `open`. */
  const stringEnd = (open: number): number => {
    // Most strings are short keys and versions: a plain loop beats the
    // native indexOf's call overhead there; long ones go to indexOf.
    const stop = Math.min(n, open + 48);
    for (let k = open + 1; k < stop; k++) {
      const b = buf[k];
      if (b === QUOTE) return k;
      if (b === BACKSLASH) break;
    }
    let from = open + 1;
    for (;;) {
      const q = buf.indexOf(QUOTE, from);
      if (q < 0) fail("unterminated string", open);
      let slashes = 0;
      while (buf[q - 1 - slashes] === BACKSLASH) slashes++;
      if (slashes % 2 === 0) return q;
      from = q + 1;
    }
  };
  /**
   * The index just past the container opened at `open`, skipped unread: only
   * strings and brackets are followed (a wanted slice is JSON.parse'd after).
   */
  const skipContainer = (open: number): number => {
    const stack: number[] = [];
    for (let k = open; k < n; k++) {
      const b = buf[k];
      if (b === QUOTE) k = stringEnd(k);
      else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
        if (stack.push(b) + depth > MAX_DEPTH) fail("nested too deep", k);
      } else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
        if (stack.pop() !== b - 2) fail("unbalanced bracket", k);
        if (stack.length === 0) return k + 1;
      }
    }
    return fail("unterminated container", open);
  };
  const hasEscape = (start: number, end: number): boolean => {
    for (let k = start; k < end; k++) if (buf[k] === BACKSLASH) return true;
    return false;
  };
  /** The string between quotes at `open` and `close`, decoded. */
  const decode = (open: number, close: number): string => {
    if (!hasEscape(open + 1, close)) return buf.toString("utf8", open + 1, close);
    try {
      return JSON.parse(buf.toString("utf8", open, close + 1));
    } catch {
      return fail("bad string escape", open);
    }
  };
  /** At least the first `descriptionChars` characters of the string at `open`..`close`. */
  const descriptionHead = (open: number, close: number): string => {
    if (descriptionChars === undefined || close - open - 1 <= descriptionChars * 4 + 8)
      return decode(open, close);
    // n + 8 bytes hold n characters of ASCII; 4n + 8 bytes hold them whatever they are.
    for (const bytes of [descriptionChars + 8, descriptionChars * 4 + 8]) {
      const end = open + 1 + bytes;
      // Cutting inside an escape or a multi-byte character: decode it all instead.
      if (hasEscape(open + 1, end) || (buf[end] & 0xc0) === 0x80) return decode(open, close);
      const head = buf.toString("utf8", open + 1, end);
      if (head.length > descriptionChars) return head;
    }
    return decode(open, close);
  };
  const keyEquals = (open: number, close: number, name: Buffer): boolean => {
    const len = close - open - 1;
    if (hasEscape(open + 1, close)) return decode(open, close) === name.toString();
    return len === name.length && buf.compare(name, 0, len, open + 1, close) === 0;
  };
  /** Whether containers 1..d are all objects: only then are keys at depth d part of the path. */
  const objectsTo = (d: number): boolean => {
    for (let k = 1; k <= d; k++) if (kinds[k] !== OBJECT) return false;
    return true;
  };
  /** A value ended at depth `depth` (just closed, or a scalar read): update what it completes. */
  const valueEnded = (end: number) => {
    if (relStart >= 0 && depth === 4) {
      try {
        relValue = JSON.parse(buf.toString("utf8", relStart, end));
      } catch {
        fail("bad release entry", relStart);
      }
      relStart = -1;
    }
    state = depth === 0 ? DONE : COMMA_OR_CLOSE;
  };
  /** A value starts at `i` in the current container: note where the path is. */
  const valueStarts = (i: number, c: number) => {
    if (depth === 2 && c === OPEN_OBJECT && objectsTo(2)) {
      description = "";
      releasesIsObject = false;
      relValue = undefined;
    } else if (depth === 3 && key3 === 2 && objectsTo(3)) {
      releasesIsObject = c === OPEN_OBJECT;
    } else if (depth === 4 && key3 === 2 && key4Wanted && objectsTo(4)) {
      relStart = i;
    } else if (depth === 1 && c === OPEN_ARRAY && source === "affected" && objectsTo(1)) {
      haveOsvAffected = true;
    }
  };

  let i = 0;
  while (i < n) {
    const c = buf[i];
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      i++;
      continue;
    }
    if (c === QUOTE) {
      const close = stringEnd(i);
      if (state === KEY_OR_CLOSE || state === KEY) {
        if (depth === 1) source = decode(i, close);
        else if (depth === 2) id = decode(i, close);
        else if (depth === 3)
          key3 = keyEquals(i, close, DESCRIPTION) ? 1 : keyEquals(i, close, RELEASES) ? 2 : 0;
        else if (depth === 4) key4Wanted = keyEquals(i, close, want);
        state = COLON_NEXT;
      } else if (state === VALUE || state === VALUE_OR_CLOSE) {
        if (depth === 3 && key3 === 1 && objectsTo(3)) {
          description = descriptionHead(i, close);
          if (options.description) description = options.description(description);
        } else if (depth === 1 && source === "id") {
          haveOsvId = kinds[1] === OBJECT;
        } else if (depth === 4) {
          valueStarts(i, c);
        }
        i = close + 1;
        valueEnded(close + 1);
        continue;
      } else {
        fail("unexpected string", i);
      }
      i = close + 1;
      continue;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (state !== VALUE && state !== VALUE_OR_CLOSE) fail("unexpected bracket", i);
      valueStarts(i, c);
      // Only the objects on the path are walked: the document, sources,
      // entries and their `releases`. Anything else is skipped whole.
      if (c !== OPEN_OBJECT || !(depth <= 2 || (depth === 3 && key3 === 2)) || !objectsTo(depth)) {
        i = skipContainer(i);
        valueEnded(i);
        continue;
      }
      if (++depth > MAX_DEPTH) fail("nested too deep", i);
      kinds[depth] = c === OPEN_OBJECT ? OBJECT : ARRAY;
      state = c === OPEN_OBJECT ? KEY_OR_CLOSE : VALUE_OR_CLOSE;
      i++;
      continue;
    }
    if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      const kind = c === CLOSE_OBJECT ? OBJECT : ARRAY;
      if (depth === 0 || kinds[depth] !== kind) fail("unbalanced bracket", i);
      if (state !== COMMA_OR_CLOSE && state !== (kind === OBJECT ? KEY_OR_CLOSE : VALUE_OR_CLOSE))
        fail("unexpected close", i);
      // An entry (the depth-3 object of source → id) ends: emit its advisory.
      if (depth === 3 && kind === OBJECT && objectsTo(3) && releasesIsObject && relValue !== undefined) {
        const advisory = fromRelease(id, source, release, relValue, description);
        if (advisory) out.push(advisory);
      }
      depth--;
      i++;
      valueEnded(i);
      continue;
    }
    if (c === COLON) {
      if (state !== COLON_NEXT) fail("unexpected ':'", i);
      state = VALUE;
      i++;
      continue;
    }
    if (c === COMMA) {
      if (state !== COMMA_OR_CLOSE) fail("unexpected ','", i);
      state = kinds[depth] === OBJECT ? KEY : VALUE;
      i++;
      continue;
    }
    // A number, true, false or null.
    if (state !== VALUE && state !== VALUE_OR_CLOSE) fail("unexpected value", i);
    valueStarts(i, c);
    const start = i;
    while (i < n && isScalarByte(buf[i])) i++;
    if (i === start) fail("unexpected character", i);
    valueEnded(i);
  }
  if (state !== DONE || kinds[1] !== OBJECT) fail("not a complete JSON object", n);
  if (haveOsvId && haveOsvAffected) {
    throw new CudasealError("CONFIG_INVALID", "an OSV record, not the tracker's JSON");
  }
  return out;
}

/** Bytes a number or a literal (true, false, null) is made of. */
function isScalarByte(b: number): boolean {
  return (
    (b >= 0x30 && b <= 0x39) || // 0-9
    (b >= 0x61 && b <= 0x7a) || // a-z (true, false, null, e)
    b === 0x2d || // -
    b === 0x2b || // +
    b === 0x2e || // .
    b === 0x45 // E
  );
}
