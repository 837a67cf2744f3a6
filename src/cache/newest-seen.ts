// The newest time seen under each of a set of names, kept in the cache so a
// later run can refuse to go back in time (apt metadata replayed by a mirror).
//
// Layout: ROOT/<sha256 of the name>/<seconds since the epoch>, empty files.
// An entry's file name is its record, so writing one is a single exclusive
// create that no reader can see half done, and processes recording at once
// each add their own entry without being able to undo another's. The newest
// entry is the value; older ones are removed after a write, and since only an
// entry older than one that exists is ever removed, the newest can never be
// lost. (One JSON file replaced by rename is atomic too, but of two processes
// that read it, change different names and rename, one loses its record.)
//
// An entry whose name is not a number is ignored: it cannot lower the value,
// and damage does not make numbers. A folder that cannot be read is
// CACHE_CORRUPT rather than taken as empty, since quietly starting over would
// drop the protection this record exists for; the hint names what to remove.

import { createHash } from "node:crypto";
import { mkdir, open, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { CudasealError } from "../errors.ts";

const ENTRY = /^\d{1,15}$/;

interface Entry {
  name: string;
  seconds: number;
}

function newestOf(entries: readonly Entry[]): number | undefined {
  let newest: number | undefined;
  for (const { seconds } of entries) if (newest === undefined || seconds > newest) newest = seconds;
  return newest;
}

export class NewestSeen {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  /** The newest time recorded under `name`, in seconds since the epoch; undefined when none is. */
  async newest(name: string): Promise<number | undefined> {
    return newestOf(await this.#entries(this.#dir(name)));
  }

  /** Record `seconds` under `name`; the value kept is the newest of all records. */
  async record(name: string, seconds: number): Promise<void> {
    if (!Number.isSafeInteger(seconds) || seconds < 0) {
      throw new CudasealError("CACHE_CORRUPT", `not a time to record: ${seconds}`);
    }
    const dir = this.#dir(name);
    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      throw this.#corrupt(dir, "cannot be made", err);
    }
    try {
      await (await open(join(dir, String(seconds)), "wx")).close();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST")
        throw this.#corrupt(dir, "cannot be written", err);
    }
    const entries = await this.#entries(dir);
    const newest = newestOf(entries) ?? seconds;
    for (const entry of entries) {
      if (entry.seconds < newest) await rm(join(dir, entry.name), { force: true });
    }
  }

  /** The entries in `dir` whose names are times; none when it does not exist. */
  async #entries(dir: string): Promise<Entry[]> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw this.#corrupt(dir, "cannot be read", err);
    }
    return names.filter((name) => ENTRY.test(name)).map((name) => ({ name, seconds: Number(name) }));
  }

  #dir(name: string): string {
    return join(this.root, createHash("sha256").update(name).digest("hex"));
  }

  #corrupt(dir: string, what: string, cause: unknown): CudasealError {
    return new CudasealError("CACHE_CORRUPT", `${dir} ${what}: ${(cause as Error).message}`, {
      hint: `check the cache folder's permissions and free space, or remove ${dir} (cudaseal then forgets the dates it has seen there)`,
      cause,
      details: { path: dir },
    });
  }
}
