// JSON read as Go's encoding/json reads it into a struct, which is how
// cosign reads every signature manifest, payload, envelope, statement and
// bundle. JSON.parse reads the same bytes differently in ways a signer can
// exploit, so whatever cosign decides on is decided here on Go's reading:
//
// - a key names a struct field when it equals the field's name, or else
//   when it equals it case-insensitively under Unicode simple folding
//   (`Image` and `image`; `ſ` folds to `s`, the Kelvin sign `K` to `k`);
// - Go keeps reading into a field named twice (the last value wins, and
//   objects merge), so any field named by two keys, exactly or in another
//   case, is refused here: two readings of one payload are never chosen
//   between;
// - a value of the wrong JSON type is an error, a null leaves a field at
//   its zero value, numbers must fit (1e400 is an error, not Infinity);
// - a lone UTF-16 surrogate escape reads as U+FFFD.
//
// Map keys (`optional`, `digest`, annotations) are exact, as in Go, and a
// repeated map key keeps its last value, as in both.

import { goStdBase64 } from "./go-base64.ts";

/** A Go type to decode into, as far as cosign's structs need them. */
export type GoType =
  | "string"
  | "bool"
  | "int64"
  /** interface{}: any JSON value, numbers as float64. */
  | "any"
  /** []byte: a standard base64 string, or an array of bytes. */
  | "bytes"
  /** go-containerregistry's v1.Hash: a `sha256:<64 hex>` string; null is an error. */
  | "hash"
  /**
   * time.Time: an RFC 3339 string without escapes. Go also takes a few
   * looser forms through time.Parse (a one-digit hour); those are refused.
   */
  | "time"
  | { struct: Readonly<Record<string, GoType>> }
  | { map: GoType }
  | { slice: GoType }
  | { pointer: GoType };

/** Nesting deeper than this is refused (Go's limit is 10000; nothing cosign signs comes close). */
const MAX_DEPTH = 512;

type Node =
  | { t: "object"; members: Array<[string, Node]> }
  | { t: "array"; items: Node[] }
  | { t: "string"; v: string; escaped: boolean }
  | { t: "number"; raw: string }
  | { t: "bool"; v: boolean }
  | { t: "null" };

/** Makes the error to throw from a short reason; `syntax` when the text is not JSON at all. */
export type GoJsonFailure = (why: string, syntax: boolean) => Error;

/**
 * Decode `text` into `type` as Go's json.Unmarshal would, refusing what
 * Go refuses and any struct field named twice.
 */
export function goUnmarshal(text: string, type: GoType, fail: GoJsonFailure): unknown {
  const node = new Parser(text, fail).document();
  return decode(node, type, "", (why) => fail(why, false));
}

/** The bytes as UTF-8 text, or undefined when they are not valid UTF-8. */
export function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** Go's json folding of a key: ASCII letters, `ſ` and the Kelvin sign fold; other runes are kept. */
function foldKey(key: string): string {
  let out = "";
  for (const ch of key) {
    if (ch === "\u017f") out += "S";
    else if (ch === "\u212a") out += "K";
    else if (ch >= "a" && ch <= "z") out += ch.toUpperCase();
    else out += ch;
  }
  return out;
}

function decode(node: Node, type: GoType, path: string, fail: (why: string) => Error): unknown {
  const where = path === "" ? "the document" : path;
  const wrong = (want: string) => fail(`${where} is ${describe(node)}, not ${want}`);
  if (typeof type === "string") {
    switch (type) {
      case "string":
        if (node.t === "null") return "";
        if (node.t !== "string") throw wrong("a string");
        return node.v;
      case "bool":
        if (node.t === "null") return false;
        if (node.t !== "bool") throw wrong("a boolean");
        return node.v;
      case "int64": {
        if (node.t === "null") return 0;
        if (node.t !== "number") throw wrong("an integer");
        if (!/^-?(0|[1-9][0-9]*)$/.test(node.raw)) throw wrong("an integer");
        const n = BigInt(node.raw);
        if (n < -(2n ** 63n) || n >= 2n ** 63n) throw fail(`${where} does not fit in 64 bits`);
        return Number(n);
      }
      case "any":
        return anyValue(node, where, fail);
      case "bytes":
        return bytesValue(node, where, fail);
      case "hash":
        if (node.t !== "string" || !/^sha256:[0-9a-f]{64}$/.test(node.v)) throw wrong("a sha256 digest");
        return node.v;
      case "time":
        if (node.t === "null") return "";
        // Go parses the bytes between the quotes as they are, escapes and all.
        if (node.t !== "string" || node.escaped || !isRfc3339(node.v)) throw wrong("an RFC 3339 time");
        return node.v;
    }
  }
  if ("pointer" in type) return node.t === "null" ? null : decode(node, type.pointer, path, fail);
  if ("slice" in type) {
    if (node.t === "null") return null;
    if (node.t !== "array") throw wrong("an array");
    return node.items.map((item, i) => decode(item, type.slice, `${path}[${i}]`, fail));
  }
  if ("map" in type) {
    if (node.t === "null") return null;
    if (node.t !== "object") throw wrong("an object");
    const out: Record<string, unknown> = {};
    for (const [k, v] of node.members)
      setOwn(out, k, decode(v, type.map, `${path}[${JSON.stringify(k)}]`, fail));
    return out;
  }
  const fields = type.struct;
  const out: Record<string, unknown> = {};
  for (const [name, t] of Object.entries(fields)) out[name] = zero(t);
  if (node.t === "null") return out;
  if (node.t !== "object") throw wrong("an object");
  const byFold = new Map(Object.keys(fields).map((name) => [foldKey(name), name]));
  const seen = new Map<string, string>();
  for (const [key, value] of node.members) {
    const name = Object.hasOwn(fields, key) ? key : byFold.get(foldKey(key));
    if (name === undefined) continue;
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      throw fail(
        earlier === key
          ? `${path}${path ? "." : ""}${key} is given twice`
          : `${path}${path ? "." : ""}${name} is given twice, as ${JSON.stringify(earlier)} and ${JSON.stringify(key)}`,
      );
    }
    seen.set(name, key);
    out[name] = decode(value, fields[name], `${path}${path ? "." : ""}${name}`, fail);
  }
  return out;
}

/** A field's value when no key names it. */
function zero(type: GoType): unknown {
  if (type === "string" || type === "hash" || type === "time") return "";
  if (type === "bool") return false;
  if (type === "int64") return 0;
  if (typeof type === "object" && "struct" in type) {
    const out: Record<string, unknown> = {};
    for (const [name, t] of Object.entries(type.struct)) out[name] = zero(t);
    return out;
  }
  return null;
}

/** The RFC 3339 times Go's time package parses on its fast path: fields in range, the day within its month. */
function isRfc3339(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/.exec(s);
  if (m === null) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const daysInMonth = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  const zoneOk = m[8] === "Z" || (Number(m[9]) <= 23 && Number(m[10]) <= 59);
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    zoneOk
  );
}

function anyValue(node: Node, where: string, fail: (why: string) => Error): unknown {
  switch (node.t) {
    case "null":
      return null;
    case "bool":
    case "string":
      return node.v;
    case "number": {
      const n = Number(node.raw);
      if (!Number.isFinite(n)) throw fail(`the number ${node.raw} in ${where} does not fit in a float64`);
      return n;
    }
    case "array":
      return node.items.map((item) => anyValue(item, where, fail));
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [k, v] of node.members) setOwn(out, k, anyValue(v, where, fail));
      return out;
    }
  }
}

function bytesValue(node: Node, where: string, fail: (why: string) => Error): Buffer | null {
  if (node.t === "null") return null;
  if (node.t === "string") {
    const bytes = goStdBase64(node.v);
    if (bytes === undefined) throw fail(`${where} is not standard base64`);
    return bytes;
  }
  if (node.t === "array") {
    return Buffer.from(
      node.items.map((item) => {
        if (item.t === "null") return 0;
        if (item.t !== "number" || !/^(0|[1-9][0-9]{0,2})$/.test(item.raw) || Number(item.raw) > 255) {
          throw fail(`${where} holds something other than a byte`);
        }
        return Number(item.raw);
      }),
    );
  }
  throw fail(`${where} is ${describe(node)}, not base64 bytes`);
}

function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  // A key "__proto__" is data, as it is for JSON.parse and for Go.
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

function describe(node: Node): string {
  switch (node.t) {
    case "object":
      return "an object";
    case "array":
      return "an array";
    case "string":
      return "a string";
    case "number":
      return `the number ${node.raw}`;
    case "bool":
      return String(node.v);
    case "null":
      return "null";
  }
}

/** RFC 8259 JSON into nodes that keep every object member in order. */
class Parser {
  private pos = 0;
  private depth = 0;
  /** Whether the last string read had an escape in it. */
  private escaped = false;
  private readonly text: string;
  private readonly fail: GoJsonFailure;

  constructor(text: string, fail: GoJsonFailure) {
    this.text = text;
    this.fail = fail;
  }

  document(): Node {
    const node = this.value();
    this.space();
    if (this.pos !== this.text.length) throw this.error("data after the JSON value");
    return node;
  }

  private error(why: string): Error {
    return this.fail(`it is not JSON: ${why} at offset ${this.pos}`, true);
  }

  private space(): void {
    const s = this.text;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.pos++;
    }
  }

  private value(): Node {
    this.space();
    const c = this.text[this.pos];
    if (c === "{" || c === "[") {
      if (++this.depth > MAX_DEPTH) throw this.error(`nesting deeper than ${MAX_DEPTH}`);
      const node = c === "{" ? this.object() : this.array();
      this.depth--;
      return node;
    }
    if (c === '"') {
      const v = this.string();
      return { t: "string", v, escaped: this.escaped };
    }
    if (c === "-" || (c >= "0" && c <= "9")) return this.number();
    for (const [word, node] of [
      ["true", { t: "bool", v: true }],
      ["false", { t: "bool", v: false }],
      ["null", { t: "null" }],
    ] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return node;
      }
    }
    throw this.error(c === undefined ? "unexpected end" : `unexpected ${JSON.stringify(c)}`);
  }

  private object(): Node {
    this.pos++;
    const members: Array<[string, Node]> = [];
    this.space();
    if (this.text[this.pos] === "}") {
      this.pos++;
      return { t: "object", members };
    }
    for (;;) {
      this.space();
      if (this.text[this.pos] !== '"') throw this.error("expected a key");
      const key = this.string();
      this.space();
      if (this.text[this.pos] !== ":") throw this.error("expected ':'");
      this.pos++;
      members.push([key, this.value()]);
      this.space();
      const c = this.text[this.pos++];
      if (c === "}") return { t: "object", members };
      if (c !== ",") throw this.error("expected ',' or '}'");
    }
  }

  private array(): Node {
    this.pos++;
    const items: Node[] = [];
    this.space();
    if (this.text[this.pos] === "]") {
      this.pos++;
      return { t: "array", items };
    }
    for (;;) {
      items.push(this.value());
      this.space();
      const c = this.text[this.pos++];
      if (c === "]") return { t: "array", items };
      if (c !== ",") throw this.error("expected ',' or ']'");
    }
  }

  private number(): Node {
    const m = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
    m.lastIndex = this.pos;
    const found = m.exec(this.text);
    if (found === null) throw this.error("a malformed number");
    this.pos += found[0].length;
    return { t: "number", raw: found[0] };
  }

  /** A string token; escapes decoded the way Go decodes them. */
  private string(): string {
    const s = this.text;
    this.pos++;
    const plain = /[^"\\\u0000-\u001f]*/y;
    let out = "";
    this.escaped = false;
    for (;;) {
      plain.lastIndex = this.pos;
      const run = (plain.exec(s) as RegExpExecArray)[0];
      out += run;
      this.pos += run.length;
      const c = s[this.pos];
      if (c === '"') {
        this.pos++;
        // Go's strings are UTF-8: an unpaired surrogate cannot be in one.
        return out.toWellFormed();
      }
      if (c !== "\\")
        throw this.error(c === undefined ? "an unterminated string" : "a control character in a string");
      this.escaped = true;
      const e = s[this.pos + 1];
      const simple: Record<string, string> = {
        '"': '"',
        "\\": "\\",
        "/": "/",
        b: "\b",
        f: "\f",
        n: "\n",
        r: "\r",
        t: "\t",
      };
      if (e !== undefined && Object.hasOwn(simple, e)) {
        out += simple[e];
        this.pos += 2;
        continue;
      }
      if (e !== "u") throw this.error("a bad escape");
      const unit = this.hex4(this.pos + 2);
      this.pos += 6;
      if (unit >= 0xd800 && unit <= 0xdbff && s.startsWith("\\u", this.pos)) {
        const low = this.hex4(this.pos + 2);
        if (low >= 0xdc00 && low <= 0xdfff) {
          out += String.fromCharCode(unit, low);
          this.pos += 6;
          continue;
        }
      }
      out += unit >= 0xd800 && unit <= 0xdfff ? "\ufffd" : String.fromCharCode(unit);
    }
  }

  private hex4(at: number): number {
    const h = this.text.slice(at, at + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) throw this.error("a bad \\u escape");
    return Number.parseInt(h, 16);
  }
}
