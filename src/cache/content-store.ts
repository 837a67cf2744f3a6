// A content-addressed store: files named by their SHA256, so an entry is
// valid exactly when its bytes hash to its name. Writers put a file under a
// temporary name and rename it, which is atomic, so builds that share the
// store at once never see half an entry; two writers of the same entry both
// write whole, identical files and the last rename wins.
//
// A writer that dies (kill -9, a crash, a power cut) leaves its temporary
// behind, often gigabytes of half a layer, so the next build removes the
// stale ones (removeStaleTemps). "Stale" must never take in a temporary that
// a build running right now is filling. Each temporary is named for its
// writer: `<pid>-<tag>`, the tag a hash of the kernel's boot id and the pid
// namespace. Where the tag is ours, the pid means a process we can see, and
// the file is stale exactly when that process is gone (or, in case the pid
// was reused, when nothing has written to it for a day). A temporary from
// another machine sharing the cache, another container, an earlier boot or
// an older cudaseal cannot be judged by its pid: it is stale when nothing has
// written to it for an hour. A live writer writes all the time (a download
// stalls for at most the fetcher's idle timeout, a layer streams without
// pause), so an hour of silence means its writer is dead or stopped.

import { createHash, randomBytes } from "node:crypto";
import { readFileSync, readlinkSync } from "node:fs";
import { lstat, mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { CudasealError } from "../errors.ts";
import { regularFileStream } from "../util/read-regular-file.ts";

const HEX64 = /^[0-9a-f]{64}$/;

export class ContentStore {
  readonly root: string;
  /** Entries hashed and found good in this process: hashing a gigabyte twice is waste. */
  readonly #verified = new Set<string>();

  constructor(root: string) {
    this.root = root;
  }

  /** The path an entry lives at, whether or not it is there. */
  path(sha256: string): string {
    if (!HEX64.test(sha256)) throw new CudasealError("CACHE_CORRUPT", `not a SHA256: ${sha256}`);
    return join(this.root, "sha256", sha256.slice(0, 2), sha256);
  }

  /** A fresh temporary path beside where `sha256` will live, for a writer to fill and then commit. */
  async tempPath(sha256: string): Promise<string> {
    const final = this.path(sha256);
    await mkdir(join(final, ".."), { recursive: true });
    return `${final}.${tempOwner()}.${randomBytes(6).toString("hex")}.tmp`;
  }

  /** Move a finished temporary file into place. */
  async commit(tmp: string, sha256: string): Promise<string> {
    const final = this.path(sha256);
    await mkdir(join(final, ".."), { recursive: true });
    await rename(tmp, final);
    this.#verified.add(sha256);
    return final;
  }

  /**
   * The entry's path when a file of the right size is there, without hashing
   * it: for callers that verify with lookup() just before they use the bytes.
   */
  async present(sha256: string, size: number): Promise<string | undefined> {
    const path = this.path(sha256);
    try {
      const info = await stat(path);
      return info.isFile() && info.size === size ? path : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The entry's path when it is present and its bytes hash to its name;
   * undefined when it is missing. A corrupt or truncated entry is removed and
   * reported as missing, so the caller fetches it again.
   */
  async lookup(sha256: string, size?: number): Promise<string | undefined> {
    const path = this.path(sha256);
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch {
      return undefined;
    }
    // Anything but a regular file there (a FIFO would block the hash) is damage, removed like a truncated entry.
    if (!info.isFile() || (size !== undefined && info.size !== size)) {
      await rm(path, { recursive: true, force: true });
      this.#verified.delete(sha256);
      return undefined;
    }
    if (this.#verified.has(sha256)) return path;
    if ((await hashFile(path)) !== sha256) {
      await rm(path, { force: true });
      return undefined;
    }
    this.#verified.add(sha256);
    return path;
  }

  /** Remove the temporaries whose writers are gone (see the header); returns how many. */
  async removeStaleTemps(): Promise<number> {
    const shards = await readdir(join(this.root, "sha256")).catch(() => [] as string[]);
    let removed = 0;
    for (const shard of shards) removed += await removeStaleTemps(join(this.root, "sha256", shard));
    return removed;
  }
}

/** A temporary file not touched for this long is stale when its writer cannot be checked. */
export const FOREIGN_TEMP_STALE_MS = 60 * 60 * 1000;
/** …and when it can, but the pid may have been reused. */
const OWN_TEMP_STALE_MS = 24 * 60 * 60 * 1000;
const UNKNOWN_HOST = "00000000";

let hostTag: string | undefined;

/** This kernel boot and pid namespace, in 8 hex digits: where a pid names the same process for everyone. */
function thisHost(): string {
  if (hostTag === undefined) {
    try {
      const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
      const namespace = readlinkSync("/proc/self/ns/pid");
      hostTag = createHash("sha256").update(`${boot}\n${namespace}`).digest("hex").slice(0, 8);
    } catch {
      hostTag = UNKNOWN_HOST;
    }
  }
  return hostTag;
}

/** The writer's part of a temporary file's name: `<pid>-<host tag>`. */
export function tempOwner(pid: number = process.pid): string {
  return `${pid}-${thisHost()}`;
}

/** Remove the stale temporaries (`*.tmp`) directly in `dir`; returns how many. */
export async function removeStaleTemps(dir: string, now: number = Date.now()): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    if (!name.endsWith(".tmp")) continue;
    const path = join(dir, name);
    const info = await lstat(path).catch(() => undefined);
    if (!info?.isFile() || !isStale(name, now - info.mtimeMs)) continue;
    // Best effort: a temporary that will not go is no reason to fail a build.
    if (
      await rm(path, { force: true }).then(
        () => true,
        () => false,
      )
    )
      removed++;
  }
  return removed;
}

function isStale(name: string, idleMs: number): boolean {
  const writer = /\.(\d+)-([0-9a-f]{8})\.[0-9a-f]+\.tmp(?:\.|$)/.exec(name);
  if (writer === null || writer[2] !== thisHost() || writer[2] === UNKNOWN_HOST)
    return idleMs >= FOREIGN_TEMP_STALE_MS;
  return !isRunning(Number(writer[1])) || idleMs >= OWN_TEMP_STALE_MS;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** SHA256 of a regular file, streamed; `what` names it when it is a FIFO or a device (INPUT_NOT_REGULAR). */
export async function hashFile(path: string, what = "cached file"): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of await regularFileStream(path, what, { highWaterMark: 1 << 20 }))
    hash.update(chunk as Buffer);
  return hash.digest("hex");
}
