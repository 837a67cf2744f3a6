// PEP 751 `pylock.toml` (and `pylock.<name>.toml`), installed as the PEP's
// "Installation" section says, for the image's environment:
//
//   1. `lock-version` must be 1.x;
//   2. the image must match one of `environments`, if the lock lists any,
//      and `requires-python`;
//   3. extras must be ones the lock lists in `extras`; groups ones in
//      `dependency-groups`, and `default-groups` when none are named;
//   4. each `[[packages]]` entry whose `marker` holds (with `extras` and
//      `dependency_groups` set) is installed; two entries of one name that
//      both hold are an error;
//   5. a package is installed from one of its `wheels`; `vcs`,
//      `directory` and a source `archive` or `sdist` would have to be built.
//
// A wheel entry may give a `url`, a `path` (relative to the lock's folder),
// or neither, in which case it is looked up by name on `packages.index`.

import { CudasealError } from "../errors.ts";
import {
  checkedUrl,
  checkRequiresPython,
  entryFilename,
  fileKind,
  list,
  localFileUrl,
  lockDir,
  lockInvalid,
  parseTomlLock,
  type ReadLockOptions,
  readLockText,
  sha256Hex,
  str,
  table,
} from "./lock-common.ts";
import { environmentFor, evaluateMarker } from "./markers.ts";
import { normalizeName } from "./names.ts";
import { parseWheelName } from "./tags.ts";
import type { LockedFile, LockedPythonPackage, PythonLock } from "./types.ts";

function names(doc: Record<string, unknown>, key: string, path: string): string[] {
  return list(doc[key], path, key).map((v) => normalizeName(str(v, path, key)));
}

/** The pylock.toml at `path`, reduced to the packages to install for the image. */
export async function readPylock(path: string, options: ReadLockOptions): Promise<PythonLock> {
  const doc = parseTomlLock(await readLockText(path, "pylock.toml"), path);
  const version = doc["lock-version"];
  if (typeof version !== "string" || !/^1(\.\d+)?$/.test(version))
    throw lockInvalid(path, `lock-version ${JSON.stringify(version)} is not one cudaseal reads (1.x)`);
  checkRequiresPython(doc["requires-python"], options.interpreter, path);

  const lockExtras = names(doc, "extras", path);
  const lockGroups = names(doc, "dependency-groups", path);
  const extras = (options.extras ?? []).map(normalizeName);
  const groups =
    options.groups !== undefined ? options.groups.map(normalizeName) : names(doc, "default-groups", path);
  for (const e of extras)
    if (!lockExtras.includes(e))
      throw lockInvalid(
        path,
        `the lock has no extra ${JSON.stringify(e)}`,
        `its extras: ${lockExtras.join(", ") || "none"}`,
      );
  for (const g of groups)
    if (!lockGroups.includes(g))
      throw lockInvalid(
        path,
        `the lock has no dependency group ${JSON.stringify(g)}`,
        `its groups: ${lockGroups.join(", ") || "none"}`,
      );

  const env = environmentFor(options.interpreter, { extras, groups });
  const environments = list(doc.environments, path, "environments").map((m) => str(m, path, "environments"));
  if (environments.length > 0 && !environments.some((m) => evaluateMarker(m, env)))
    throw lockInvalid(
      path,
      `the image (Linux ${env.platform_machine}, Python ${env.python_full_version}) is none of the lock's environments`,
      `the lock is for: ${environments.join(" | ")}`,
    );

  const chosen = new Map<string, LockedPythonPackage>();
  for (const [i, item] of list(doc.packages, path, "packages").entries()) {
    const p = table(item, path, `packages[${i}]`);
    const name = normalizeName(str(p.name, path, `packages[${i}].name`));
    if (!evaluateMarker(p.marker === undefined ? undefined : str(p.marker, path, `${name}.marker`), env))
      continue;
    if (chosen.has(name))
      throw lockInvalid(
        path,
        `two entries for ${name} both apply to the image`,
        "a lock must give one entry per package per environment",
      );
    chosen.set(name, lockedPackage(p, name, path));
  }
  return {
    format: "pylock.toml",
    packages: [...chosen.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
}

/** One file entry (`wheels[]`, `sdist`, `archive`) as a LockedFile. */
function lockedFile(value: unknown, name: string, field: string, path: string, index?: string): LockedFile {
  const e = table(value, path, `${name}.${field}`);
  const url = typeof e.url === "string" ? checkedUrl(e.url, path, `${name}.${field}.url`) : undefined;
  const local = typeof e.path === "string" ? e.path : undefined;
  const filename = entryFilename(e.name, url, local);
  if (filename === undefined) throw lockInvalid(path, `${name}.${field} has no name, url or path`);
  const hashes = e.hashes === undefined ? {} : table(e.hashes, path, `${name}.${field}.hashes`);
  const sha256 = sha256Hex(hashes.sha256);
  if (sha256 === undefined)
    throw new CudasealError("PY_UNHASHED", `${filename} (${name}) has no SHA256 in ${path}`, {
      hint:
        Object.keys(hashes).length > 0
          ? `cudaseal checks SHA256; the lock has ${Object.keys(hashes).join(", ")}`
          : "PEP 751 requires hashes for every file; regenerate the lock",
    });
  if (url === undefined && local === undefined && index === undefined)
    throw lockInvalid(path, `${filename} (${name}) has no url or path, and the package names no index`);
  return {
    filename,
    url: url ?? (local !== undefined ? localFileUrl(local, lockDir(path)) : undefined),
    sha256,
    size: typeof e.size === "number" ? e.size : undefined,
    kind: fileKind(filename),
  };
}

function lockedPackage(p: Record<string, unknown>, name: string, path: string): LockedPythonPackage {
  for (const kind of ["vcs", "directory"])
    if (p[kind] !== undefined)
      throw new CudasealError(
        "PY_NO_WHEEL",
        `${name} comes from a ${kind === "vcs" ? "version control" : "local directory"} source, which would have to be built`,
        {
          hint: "the build runs no code: build a wheel of it and lock that wheel instead",
        },
      );
  const index =
    p.index === undefined
      ? undefined
      : checkedUrl(str(p.index, path, `${name}.index`), path, `${name}.index`);
  const files: LockedFile[] = [];
  for (const [i, w] of list(p.wheels, path, `${name}.wheels`).entries())
    files.push(lockedFile(w, name, `wheels[${i}]`, path, index));
  if (p.sdist !== undefined) files.push(lockedFile(p.sdist, name, "sdist", path, index));
  if (p.archive !== undefined) files.push(lockedFile(p.archive, name, "archive", path, index));
  let version = p.version === undefined ? undefined : str(p.version, path, `${name}.version`);
  if (version === undefined) {
    // The version may be left out; a wheel's name still says it.
    const wheel = files.find((f) => f.kind === "wheel");
    if (wheel === undefined) throw lockInvalid(path, `${name} has no version and no wheel to read one from`);
    version = parseWheelName(wheel.filename).version;
  }
  if (files.length === 0) throw lockInvalid(path, `${name} ${version} lists no files`);
  return { name, version, files, index };
}
