// One entry to the three lock formats, chosen by the file's name as the
// tools that write them name it: `uv.lock`, `pylock.toml` or
// `pylock.<name>.toml` (PEP 751), and pip's requirements files (`*.txt`).

import { basename } from "node:path";
import { CudasealError } from "../errors.ts";
import type { ReadLockOptions } from "./lock-common.ts";
import { readPylock } from "./lock-pylock.ts";
import { readRequirements } from "./lock-requirements.ts";
import { readUvLock } from "./lock-uv.ts";
import type { PythonLock } from "./types.ts";

/** Which reader a lock file's name calls for, or undefined when none does. */
export function lockFormat(path: string): PythonLock["format"] | undefined {
  const name = basename(path);
  if (name === "uv.lock") return "uv.lock";
  if (/^pylock\.([^.]+\.)?toml$/.test(name)) return "pylock.toml";
  if (/\.(txt|in)$/.test(name)) return "requirements.txt";
  return undefined;
}

/**
 * Read a Python lock for the image's interpreter: the packages to install,
 * with their pinned versions and hashed files, after groups, extras and
 * markers are applied. Nothing is resolved: an unpinned or unhashed
 * requirement is an error.
 */
export async function readPythonLock(path: string, options: ReadLockOptions): Promise<PythonLock> {
  switch (lockFormat(path)) {
    case "uv.lock":
      return readUvLock(path, options);
    case "pylock.toml":
      return readPylock(path, options);
    case "requirements.txt":
      return readRequirements(path, options);
    default:
      throw new CudasealError("PY_LOCK_INVALID", `${path} is not a lock cudaseal reads`, {
        hint: "name it uv.lock, pylock.toml (pylock.<name>.toml), or a requirements *.txt with --hash on every line",
      });
  }
}
