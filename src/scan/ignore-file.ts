// The ignore file: findings a team has decided to accept for a while, each
// with a reason and a date it stops counting, so no exception lives forever.
//
//   ignore:
//     - id: CVE-2024-1234
//       package: libc6            # optional: binary or source package name
//       reason: not reachable, no network listener in this image
//       expires: 2026-12-31       # last day it applies (UTC)
//
// An expired entry suppresses nothing and is reported. Unknown keys are
// errors: a misspelt `package:` would otherwise widen an entry to every
// package.

import { parse } from "yaml";
import { CudasealError } from "../errors.ts";
import { readRegularFile } from "../util/read-regular-file.ts";
import type { Finding } from "./advisory.ts";

/** One entry of an ignore file. */
export interface IgnoreEntry {
  id: string;
  package?: string;
  reason: string;
  /** `YYYY-MM-DD`, the last day the entry applies. */
  expires: string;
  file: string;
  index: number;
}

const KEYS = new Set(["id", "package", "reason", "expires"]);
const MAX_BYTES = 4 * 1024 * 1024;

/** The entries of the ignore file at `path`. */
export async function loadIgnoreFile(path: string): Promise<IgnoreEntry[]> {
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(path, { what: "ignore file", max: MAX_BYTES });
  } catch (cause) {
    if (cause instanceof CudasealError) throw cause;
    throw new CudasealError("IGNORE_FILE_INVALID", `cannot read the ignore file ${path}`, { cause });
  }
  const text = bytes.toString("utf8");
  let data: unknown;
  try {
    data = parse(text);
  } catch (cause) {
    throw new CudasealError("IGNORE_FILE_INVALID", `${path} is not YAML`, { cause });
  }
  return parseIgnoreFile(data, path);
}

/** The entries of a parsed ignore file; `file` names it in errors. */
export function parseIgnoreFile(data: unknown, file: string): IgnoreEntry[] {
  const bad = (where: string, why: string) =>
    new CudasealError("IGNORE_FILE_INVALID", `${file}: ${where}: ${why}`, {
      hint: "each entry needs id, reason and expires (YYYY-MM-DD); package is optional",
      details: { file, where },
    });
  if (data === null || data === undefined) return [];
  if (!isObject(data)) throw bad("document", "not a mapping with an `ignore:` list");
  for (const key of Object.keys(data)) if (key !== "ignore") throw bad(key, "unknown key");
  if (data.ignore === undefined || data.ignore === null) return [];
  if (!Array.isArray(data.ignore)) throw bad("ignore", "not a list");
  return data.ignore.map((e, index) => {
    const where = `ignore[${index}]`;
    if (!isObject(e)) throw bad(where, "not a mapping");
    for (const key of Object.keys(e)) if (!KEYS.has(key)) throw bad(`${where}.${key}`, "unknown key");
    const text = (key: string, required: boolean): string | undefined => {
      const v = e[key];
      if (v === undefined && !required) return undefined;
      if (typeof v !== "string" || v.trim() === "") throw bad(`${where}.${key}`, "missing or empty");
      return v.trim();
    };
    const expires = e.expires instanceof Date ? e.expires.toISOString().slice(0, 10) : text("expires", true);
    if (!isDate(expires)) throw bad(`${where}.expires`, "not a date (YYYY-MM-DD)");
    return {
      id: text("id", true) as string,
      package: text("package", false),
      reason: text("reason", true) as string,
      expires: expires as string,
      file,
      index,
    };
  });
}

/** Whether `entry` has expired on `today` (`YYYY-MM-DD`, UTC): it applies through its expiry day. */
export function isExpired(entry: IgnoreEntry, today: string): boolean {
  return entry.expires < today;
}

/** Whether `entry` names `finding`: the same id, and the same binary or source package if it names one. */
export function ignoreCovers(entry: IgnoreEntry, finding: Finding): boolean {
  return (
    entry.id === finding.id &&
    (entry.package === undefined || entry.package === finding.package || entry.package === finding.source)
  );
}

function isDate(v: unknown): boolean {
  if (typeof v !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
