// Deterministic JSON, so a config or manifest built twice from the same input
// has the same digest. Keys are sorted by UTF-16 code units and numbers and
// strings are written as JSON.stringify writes them, which is the JSON
// Canonicalization Scheme (RFC 8785); there is no whitespace and no trailing
// newline.

import { CudasealError } from "../errors.ts";

/** `value` as canonical JSON text. Undefined object members are left out, as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  return write(value, "$");
}

/** `value` as canonical JSON, UTF-8 encoded: the bytes a digest is taken over. */
export function canonicalJsonBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), "utf8");
}

function write(value: unknown, where: string): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw invalid(where, `non-finite number ${value}`);
      return JSON.stringify(value);
    case "object":
      break;
    default:
      throw invalid(where, `a ${typeof value} has no JSON form`);
  }
  if (Array.isArray(value)) {
    return `[${value.map((item, i) => (item === undefined ? "null" : write(item, `${where}[${i}]`))).join(",")}]`;
  }
  if (value instanceof Date) throw invalid(where, "dates must be formatted before serialising");
  const keys = Object.keys(value).sort();
  const members: string[] = [];
  for (const key of keys) {
    const member = (value as Record<string, unknown>)[key];
    if (member === undefined) continue;
    members.push(`${JSON.stringify(key)}:${write(member, `${where}.${key}`)}`);
  }
  return `{${members.join(",")}}`;
}

function invalid(where: string, what: string): CudasealError {
  return new CudasealError("INTERNAL", `cannot write canonical JSON at ${where}: ${what}`);
}
