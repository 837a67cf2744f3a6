// A small file written whole or not at all: to a temporary name, then renamed.

import { randomBytes } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { CudasealError } from "../errors.ts";
import { asDiskFull } from "./disk-full.ts";

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(tmp, data, { flag: "wx" });
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * A file the user named (`-o`, `--output`, `--write-lock`…), written whole or
 * not at all. A folder that is not there or not writable is the user's to
 * fix, so it is OUTPUT_FAILED naming the file (DISK_FULL when the disk is
 * full), never a crash reported as a bug.
 */
export async function writeOutputFile(path: string, data: string | Uint8Array): Promise<void> {
  try {
    await writeFileAtomic(path, data);
  } catch (err) {
    const full = asDiskFull(err, "output", dirname(path));
    if (full !== err) throw full;
    throw new CudasealError("OUTPUT_FAILED", `cannot write ${path}: ${(err as Error).message}`, {
      hint: "check that its folder exists and that you may write there",
      cause: err,
      details: { path },
    });
  }
}
