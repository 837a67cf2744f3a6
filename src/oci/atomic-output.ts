// Outputs appear whole or not at all. A writer fills a temporary sibling of
// the final path (same directory, so the same filesystem, so rename is
// atomic) and only a finished temporary is renamed into place. A file is
// replaced by one rename. A directory cannot be renamed over a non-empty one,
// so an existing output is first renamed aside, the new one renamed in, and
// the old one deleted; a failure between the two renames puts the old one
// back. A failed writer leaves the existing output untouched and its
// temporary removed. A full disk is DISK_FULL, about the output's folder.

import { randomBytes } from "node:crypto";
import { mkdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { CudasealError } from "../errors.ts";
import { asDiskFull } from "../util/disk-full.ts";
import { release, removeOnInterrupt } from "../util/interrupt-cleanup.ts";

/** Let `fill` write a directory at a temporary path, then move it to `finalDir`, replacing what is there. */
export async function withTempDir<T>(finalDir: string, fill: (tempDir: string) => Promise<T>): Promise<T> {
  const final = resolve(finalDir);
  const tmp = await makeTemp(final, async (path) => {
    await mkdir(path);
  });
  const result = await runFill(fill, tmp, final);
  const aside = siblingName(final, "old");
  let movedAside = false;
  try {
    try {
      await rename(final, aside);
      movedAside = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    await rename(tmp, final);
    release(tmp);
  } catch (err) {
    if (movedAside) await rename(aside, final).catch(() => undefined);
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    release(tmp);
    throw outputFailed(final, err);
  }
  // The new output is in place; an old copy that will not go away is litter,
  // not a failed build, so a failure here is not reported.
  if (movedAside) await rm(aside, { recursive: true, force: true }).catch(() => undefined);
  return result;
}

/** Let `fill` write a file at a temporary path, then rename it over `finalFile`. */
export async function withTempFile<T>(finalFile: string, fill: (tempFile: string) => Promise<T>): Promise<T> {
  const final = resolve(finalFile);
  const tmp = await makeTemp(final, async () => undefined);
  const result = await runFill(fill, tmp, final);
  try {
    await rename(tmp, final);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw outputFailed(final, err);
  } finally {
    release(tmp);
  }
  return result;
}

async function makeTemp(final: string, create: (path: string) => Promise<void>): Promise<string> {
  const tmp = siblingName(final, "tmp");
  removeOnInterrupt(tmp);
  try {
    await mkdir(dirname(final), { recursive: true });
    await create(tmp);
  } catch (err) {
    release(tmp);
    throw outputFailed(final, err);
  }
  return tmp;
}

async function runFill<T>(fill: (tmp: string) => Promise<T>, tmp: string, final: string): Promise<T> {
  try {
    return await fill(tmp);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    release(tmp);
    // Our own errors and bugs pass through as they are, unless a full disk
    // caused them; a failed system call (a permission) is the output's problem.
    const full = asDiskFull(err, "output", final);
    if (full !== err) throw full;
    if (err instanceof CudasealError || typeof (err as NodeJS.ErrnoException)?.code !== "string") throw err;
    throw outputFailed(final, err);
  }
}

/** A hidden name beside `final` that no other writer will pick: `.NAME.<kind>-<random>`. */
function siblingName(final: string, kind: string): string {
  return join(dirname(final), `.${basename(final)}.${kind}-${process.pid}-${randomBytes(6).toString("hex")}`);
}

function outputFailed(final: string, cause: unknown): CudasealError {
  const full = asDiskFull(cause, "output", final);
  if (full !== cause) return full as CudasealError;
  const reason = (cause as Error)?.message ?? String(cause);
  return new CudasealError("OUTPUT_FAILED", `cannot write ${final}: ${reason}`, {
    cause,
    details: { path: final },
  });
}
