// Loading a local vulnerability database: the Debian Security Tracker's JSON
// (one object keyed by source package), or OSV (one record, an array of
// records, or a directory of `.json` records). Sizes are capped before
// anything is read: the file is hostile input.

import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { CudasealError } from "../errors.ts";
import { readRegularFile } from "../util/read-regular-file.ts";
import type { Advisory } from "./advisory.ts";
import { debianTrackerAdvisories, isDebianTracker } from "./debian-tracker.ts";
import { isOsvRecord, osvAdvisories } from "./osv.ts";

export interface LoadOptions {
  /** Keep only this release's advisories (a codename). */
  release?: string;
  /** Largest file read, bytes (default 512 MiB: the tracker's JSON is tens of MiB). */
  maxFileSize?: number;
  /** Most `.json` files read from a directory (default 500,000). */
  maxFiles?: number;
}

/** What a database held. */
export interface LoadedDatabase {
  format: "debian-tracker" | "osv";
  advisories: Advisory[];
}

const DEFAULT_MAX_FILE = 512 * 1024 * 1024;
const DEFAULT_MAX_FILES = 500_000;

/** The advisories of the database at `path`, a file or a directory of OSV records. */
export async function loadDatabase(path: string, options: LoadOptions = {}): Promise<LoadedDatabase> {
  const info = await stat(path).catch((cause) => {
    throw new CudasealError("CONFIG_INVALID", `cannot read the vulnerability database ${path}`, { cause });
  });
  if (info.isDirectory()) return { format: "osv", advisories: await loadOsvDir(path, options) };
  const data = await readJson(path, options);
  if (Array.isArray(data))
    return { format: "osv", advisories: data.flatMap((r) => osvAdvisories(r, options)) };
  if (isOsvRecord(data)) return { format: "osv", advisories: osvAdvisories(data, options) };
  if (isDebianTracker(data))
    return { format: "debian-tracker", advisories: debianTrackerAdvisories(data, options) };
  throw new CudasealError("CONFIG_INVALID", `${path} is neither Debian Security Tracker JSON nor OSV`, {
    hint: "pass the tracker's JSON file, an OSV record, an array of them, or a directory of .json records",
  });
}

async function loadOsvDir(dir: string, options: LoadOptions): Promise<Advisory[]> {
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isFile() && e.name.endsWith(".json"))
    .map((e) => e.name)
    .sort();
  const max = options.maxFiles ?? DEFAULT_MAX_FILES;
  if (names.length > max) {
    throw new CudasealError("CONFIG_INVALID", `${dir} holds ${names.length} records, more than ${max}`);
  }
  const out: Advisory[] = [];
  for (const name of names) {
    const data = await readJson(join(dir, name), options);
    for (const record of Array.isArray(data) ? data : [data]) out.push(...osvAdvisories(record, options));
  }
  return out;
}

async function readJson(path: string, options: LoadOptions): Promise<unknown> {
  const max = options.maxFileSize ?? DEFAULT_MAX_FILE;
  const text = (await readRegularFile(path, { what: "vulnerability database", max })).toString("utf8");
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw new CudasealError("CONFIG_INVALID", `${path} is not JSON`, { cause });
  }
  if (typeof data !== "object" || data === null) {
    throw new CudasealError("CONFIG_INVALID", `${path} is not a JSON object or array`);
  }
  return data;
}
