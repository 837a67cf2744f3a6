// A write that fails because the disk, or the user's quota on it, is full is
// not a bug: it has a plain fix, and the fix depends on which folder filled.
// Writers name the folder they write (the cache or the output), and a full
// disk anywhere below them becomes DISK_FULL with a hint about that folder,
// however deep the ENOSPC or EDQUOT sits in the chain of causes.

import { CudasealError, isCudasealError } from "../errors.ts";

/** The two folders cudaseal fills: its cache (downloads, layers) and the output it was asked for. */
export type WrittenFolder = "cache" | "output";

const FULL = new Set(["ENOSPC", "EDQUOT"]);

/** The ENOSPC or EDQUOT code of `err` or of an error it was caused by, if any. */
function diskFullCode(err: unknown): string | undefined {
  let at: unknown = err;
  for (let depth = 0; depth < 16 && at !== null && typeof at === "object"; depth++) {
    const code = (at as NodeJS.ErrnoException).code;
    if (typeof code === "string" && FULL.has(code)) return code;
    at = (at as Error).cause;
  }
  return undefined;
}

/** `err` as DISK_FULL when a full disk caused it; any other error is returned as it is. */
export function asDiskFull(err: unknown, folder: WrittenFolder, path: string): unknown {
  if (isCudasealError(err, "DISK_FULL")) return err;
  const code = diskFullCode(err);
  if (code === undefined) return err;
  const state = code === "EDQUOT" ? "over its quota" : "full";
  return new CudasealError("DISK_FULL", `the disk holding the ${folder} folder ${path} is ${state}`, {
    hint:
      folder === "cache"
        ? `free space there, or point --cache-dir (or CUDASEAL_CACHE_DIR) at a disk with room`
        : `free space there, or write the output to a disk with room`,
    cause: err,
    details: { folder, path, errno: code },
  });
}

/** Run `work`, which writes under `path`, reporting a full disk as DISK_FULL. */
export async function onDiskFull<T>(folder: WrittenFolder, path: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw asDiskFull(err, folder, path);
  }
}
