// From a read lock to the wheels to fetch: for every package, the best wheel
// for the image's interpreter (select.ts) with the URL to fetch it from and
// the SHA256 it must have. Where the lock gives a URL, that is used; where it
// gives a file name alone (pylock.toml with `packages.index`), the file is
// found on the index by name and the index's hash, when it gives one, must
// agree with the lock's; where it gives only hashes (requirements.txt), the
// index's files of the pinned version whose hashes the lock allows are the
// candidates. Nothing is downloaded here; the fetch checks every hash again.

import { CudasealError } from "../errors.ts";
import { redactUrl } from "../http/index.ts";
import { mapPool } from "../util/pool.ts";
import { splitCredentials } from "./index-auth.ts";
import { fullPythonVersion } from "./markers.ts";
import { normalizeName } from "./names.ts";
import { parseSpecifiers, type Specifier, satisfies, versionsEqual } from "./pep440.ts";
import { chooseWheel, noWheel, rankWheels } from "./select.ts";
import { type IndexFile, listProjectFiles, type SimpleIndexOptions } from "./simple-index.ts";
import { parseWheelName, tagRanks } from "./tags.ts";
import type { ChosenWheel, InterpreterFacts, LockedPythonPackage, PythonLock } from "./types.ts";

export interface PlanOptions extends Omit<SimpleIndexOptions, "indexes"> {
  /** The spec's `python.index`: tried first where the lock names no index of its own. */
  index?: string;
  /** The spec's `python.extraIndex`, tried after. */
  extraIndex?: string[];
  /** Index pages fetched at once (default 8). */
  concurrency?: number;
}

/** Indexes to ask for `pkg`, in order, without repeats. */
function indexesFor(pkg: LockedPythonPackage, lock: PythonLock, options: PlanOptions): string[] {
  const all = [pkg.index, options.index, ...(lock.indexes ?? []), ...(options.extraIndex ?? [])].filter(
    (i): i is string => i !== undefined && i !== "",
  );
  return [...new Set(all)];
}

function noIndex(pkg: LockedPythonPackage): CudasealError {
  return new CudasealError(
    "PY_INDEX_FAILED",
    `${pkg.name} ${pkg.version}: the lock gives no URL and no index to find its files on`,
    {
      hint: "set python.index in the spec to the simple index (PEP 503) the lock was made against",
    },
  );
}

/** Every index's listing of `pkg` (indexes without the project are skipped). */
async function listings(
  pkg: LockedPythonPackage,
  indexes: string[],
  options: SimpleIndexOptions,
): Promise<{ index: string; files: IndexFile[] }[]> {
  const out: { index: string; files: IndexFile[] }[] = [];
  for (const index of indexes) {
    const files = await listProjectFiles(index, pkg.name, options);
    if (files !== undefined) out.push({ index, files });
  }
  return out;
}

/** A file the lock names by file name alone, found on the indexes. */
async function byFilename(
  pkg: LockedPythonPackage,
  filename: string,
  sha256: string,
  indexes: string[],
  options: SimpleIndexOptions,
): Promise<string> {
  if (indexes.length === 0) throw noIndex(pkg);
  for (const index of indexes) {
    const files = await listProjectFiles(index, pkg.name, options);
    const found = files?.find((f) => f.filename === filename);
    if (found === undefined) continue;
    if (found.sha256 !== undefined && found.sha256 !== sha256)
      throw new CudasealError(
        "PY_HASH_MISMATCH",
        `${filename}: the index ${redactUrl(splitCredentials(index).url)} gives SHA256 ${found.sha256}, the lock ${sha256}`,
        {
          hint: "the index serves a different file than the lock pins; do not use it. Check the index, or re-lock",
          details: { filename, expected: sha256, actual: found.sha256 },
        },
      );
    return found.url;
  }
  throw new CudasealError(
    "PY_INDEX_FAILED",
    `${filename} (${pkg.name} ${pkg.version}) is on none of the indexes`,
    {
      hint: `asked: ${indexes.map((i) => redactUrl(splitCredentials(i).url)).join(", ")}`,
    },
  );
}

/** A requirements.txt pin: the index's wheels of that version whose hashes the lock allows, best first. */
async function byHashes(
  pkg: LockedPythonPackage,
  indexes: string[],
  ranks: Map<string, number>,
  interpreter: InterpreterFacts,
  options: SimpleIndexOptions,
): Promise<ChosenWheel> {
  if (indexes.length === 0) throw noIndex(pkg);
  const allowed = new Set(pkg.hashes ?? []);
  const only = allowed.size === 1 ? [...allowed][0] : undefined;
  const ofVersion: IndexFile[] = [];
  const matching: (IndexFile & { sha256: string })[] = [];
  for (const { files } of await listings(pkg, indexes, options)) {
    for (const f of files) {
      if (!versionOfFile(f.filename, pkg) || !allowsInterpreter(f.requiresPython, interpreter)) continue;
      ofVersion.push(f);
      // An index that gives no hash is trusted with the lock's only one; the fetch checks it.
      const sha256 = f.sha256 ?? only;
      if (sha256 !== undefined && allowed.has(sha256)) matching.push({ ...f, sha256 });
    }
  }
  if (ofVersion.length > 0 && matching.length === 0)
    throw new CudasealError(
      "PY_HASH_MISMATCH",
      `${pkg.name} ${pkg.version}: none of the ${ofVersion.length} files on the index has a hash the lock allows`,
      {
        hint: "the index serves different files than the lock was made from; check the index, or re-lock",
        details: { package: pkg.name, version: pkg.version, files: ofVersion.map((f) => f.filename) },
      },
    );
  if (ofVersion.length === 0)
    throw new CudasealError("PY_INDEX_FAILED", `${pkg.name} ${pkg.version} is on none of the indexes`, {
      hint: `asked: ${indexes.map((i) => redactUrl(splitCredentials(i).url)).join(", ")}`,
    });
  const best = rankWheels(pkg, matching, ranks, `${pkg.name} ${pkg.version}`)[0];
  if (best === undefined) throw noWheel(pkg, matching, interpreter);
  const f = best.file;
  return {
    name: pkg.name,
    version: pkg.version,
    filename: f.filename,
    url: f.url,
    sha256: f.sha256,
    size: f.size,
  };
}

/** Whether a file's Requires-Python admits the interpreter; one that cannot be read is ignored, as pip does. */
function allowsInterpreter(requiresPython: string | undefined, interpreter: InterpreterFacts): boolean {
  if (requiresPython === undefined || requiresPython.trim() === "") return true;
  let specs: Specifier[];
  try {
    specs = parseSpecifiers(requiresPython);
  } catch {
    return true;
  }
  return satisfies(fullPythonVersion(interpreter), specs, { prereleases: true });
}

/** Whether an index file is `pkg` at its pinned version (wheels by their name, sdists by their stem). */
function versionOfFile(filename: string, pkg: LockedPythonPackage): boolean {
  if (filename.toLowerCase().endsWith(".whl")) {
    try {
      const w = parseWheelName(filename);
      return w.name === pkg.name && versionsEqual(w.version, pkg.version);
    } catch {
      return false;
    }
  }
  const m = /^(.+)-([^-]+)\.(tar\.gz|zip|tar\.bz2|tgz)$/i.exec(filename);
  return (
    m !== null && normalizeName(m[1] as string) === pkg.name && versionsEqual(m[2] as string, pkg.version)
  );
}

/**
 * The wheel to install for each package of `lock`, for `interpreter`: the
 * best-ranked one the lock allows, with where to fetch it and its SHA256.
 * PY_NO_WHEEL when a package has none that suits the image (with why),
 * PY_INDEX_FAILED / PY_HASH_MISMATCH when the index cannot supply the file
 * the lock pins.
 */
export async function planPython(
  lock: PythonLock,
  interpreter: InterpreterFacts,
  options: PlanOptions = {},
): Promise<ChosenWheel[]> {
  const ranks = tagRanks(interpreter);
  const auth: SimpleIndexOptions = {
    ...options,
    indexes: [options.index, ...(lock.indexes ?? []), ...(options.extraIndex ?? [])].filter(
      (i): i is string => i !== undefined,
    ),
  };
  return mapPool(lock.packages, options.concurrency ?? 8, async (pkg): Promise<ChosenWheel> => {
    const indexes = indexesFor(pkg, lock, options);
    if (pkg.files.length === 0) return byHashes(pkg, indexes, ranks, interpreter, auth);
    const file = chooseWheel(pkg, ranks, interpreter);
    // A URL is handed on without user info; the fetch asks authHeaders() for the credential.
    const url =
      file.url !== undefined
        ? splitCredentials(file.url).url
        : await byFilename(pkg, file.filename, file.sha256, indexes, auth);
    return {
      name: pkg.name,
      version: pkg.version,
      filename: file.filename,
      url,
      sha256: file.sha256,
      size: file.size,
    };
  });
}
