// What the three lock readers share: reading the file under a cap, the
// options they take, TOML parsing with coded errors, and turning a lock's
// file entry (a URL, a local path or a bare file name, with its hash) into a
// LockedFile.

import { basename, dirname, isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parse as parseToml, TomlError } from "smol-toml";
import { CudasealError } from "../errors.ts";
import { readRegularFile } from "../util/read-regular-file.ts";
import { fullPythonVersion } from "./markers.ts";
import { parseSpecifiers, satisfies } from "./pep440.ts";
import type { InterpreterFacts, LockedFile } from "./types.ts";

/** What to install from a lock: `uv sync --group/--extra`, PEP 751's extras and dependency groups. */
export interface ReadLockOptions {
  /** Dependency groups to install. uv.lock: none unless named; pylock.toml: its default-groups unless named. */
  groups?: string[];
  /** Extras of the project (uv.lock) or of the lock (pylock.toml) to install. */
  extras?: string[];
  /** The image's interpreter: markers and requires-python are evaluated for it. */
  interpreter: InterpreterFacts;
}

/** A lock of tens of thousands of packages is a few MiB; more is not a lock. */
export const MAX_LOCK_BYTES = 64 * 1024 * 1024;

/** The lock file's text, read under the cap. */
export async function readLockText(path: string, what: string): Promise<string> {
  try {
    return (await readRegularFile(path, { what, max: MAX_LOCK_BYTES })).toString("utf8");
  } catch (err) {
    if (err instanceof CudasealError) throw err;
    throw new CudasealError("PY_LOCK_INVALID", `cannot read ${what} ${path}: ${(err as Error).message}`, {
      hint: "python.lock names the lock relative to the spec's file; check the path",
      cause: err,
    });
  }
}

/** Parse TOML; PY_LOCK_INVALID with the line when it is not TOML. */
export function parseTomlLock(text: string, path: string): Record<string, unknown> {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (err) {
    const where = err instanceof TomlError ? ` at line ${err.line}` : "";
    throw new CudasealError("PY_LOCK_INVALID", `${path} is not valid TOML${where}`, {
      hint: "write the lock again with the tool that made it (uv lock, pip lock) rather than by hand",
      cause: err,
    });
  }
}

/** PY_LOCK_INVALID for a field of the wrong shape. */
export function lockInvalid(path: string, what: string, hint?: string): CudasealError {
  return new CudasealError("PY_LOCK_INVALID", `${path}: ${what}`, {
    hint:
      hint ??
      "the lock does not have the shape its format gives (docs/python.md); write it again with its tool",
  });
}

/** `value` as a string, or PY_LOCK_INVALID naming `field`. */
export function str(value: unknown, path: string, field: string): string {
  if (typeof value !== "string") throw lockInvalid(path, `${field} must be a string`);
  return value;
}

/** `value` as a table, or PY_LOCK_INVALID naming `field`. */
export function table(value: unknown, path: string, field: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value) || value instanceof Date)
    throw lockInvalid(path, `${field} must be a table`);
  return value as Record<string, unknown>;
}

/** `value` as an array (absent is empty), or PY_LOCK_INVALID naming `field`. */
export function list(value: unknown, path: string, field: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw lockInvalid(path, `${field} must be an array`);
  return value;
}

/** A lowercase hex SHA256 digest, or undefined when `hex` is not one. */
export function sha256Hex(hex: unknown): string | undefined {
  return typeof hex === "string" && /^[0-9a-fA-F]{64}$/.test(hex) ? hex.toLowerCase() : undefined;
}

/** Whether `filename` names a wheel or an sdist (anything that is not a wheel is built from source). */
export function fileKind(filename: string): LockedFile["kind"] {
  return filename.toLowerCase().endsWith(".whl") ? "wheel" : "sdist";
}

/** The last path segment of a URL, decoded; undefined when there is none. */
export function filenameOfUrl(url: string): string | undefined {
  try {
    const last = new URL(url).pathname.split("/").pop();
    return last ? decodeURIComponent(last) : undefined;
  } catch {
    return undefined;
  }
}

/** A `file:` URL for a path a lock names, relative to `base` (the lock's folder, or a local index). */
export function localFileUrl(path: string, base: string): string {
  return pathToFileURL(isAbsolute(path) ? path : resolve(base, path)).href;
}

/** The folder relative paths in the lock at `lockPath` are resolved against. */
export function lockDir(lockPath: string): string {
  return dirname(resolve(lockPath));
}

/** A URL as the lock wrote it; PY_LOCK_INVALID unless it is http(s) or file. */
export function checkedUrl(url: string, path: string, field: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw lockInvalid(path, `${field} is not a URL`);
  }
  if (!["http:", "https:", "file:"].includes(parsed.protocol))
    throw lockInvalid(path, `${field} uses ${parsed.protocol}, not http(s) or file`);
  return url;
}

/** The file name a lock entry stands for: its own, else its URL's or path's last segment. */
export function entryFilename(
  given: unknown,
  url: string | undefined,
  localPath: string | undefined,
): string | undefined {
  if (typeof given === "string" && given !== "") return given;
  if (url !== undefined) return filenameOfUrl(url);
  if (localPath !== undefined) return basename(localPath);
  return undefined;
}

/** PY_LOCK_INVALID when the interpreter falls outside the lock's `requires-python`. */
export function checkRequiresPython(requires: unknown, interpreter: InterpreterFacts, path: string): void {
  if (requires === undefined) return;
  const specs = parseSpecifiers(str(requires, path, "requires-python"), `${path}: requires-python`);
  const full = fullPythonVersion(interpreter);
  if (!satisfies(full, specs, { prereleases: true }))
    throw new CudasealError(
      "PY_LOCK_INVALID",
      `${path} requires Python ${String(requires)}; the image's interpreter is ${full}`,
      {
        hint: "lock for the image's Python (uv lock --python X.Y), or build on a suite whose python3 the lock allows",
      },
    );
}
