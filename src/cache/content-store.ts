// A content-addressed store: files named by their SHA256, so an entry is
// valid exactly when its bytes hash to its name. Writers put a file under a
// temporary name and rename it, which is atomic, so builds that share the
// store at once never see half an entry; two writers of the same entry both
// write whole, identical files and the last rename wins.

import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { CudasealError } from "../errors.ts";

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
    return `${final}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
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
      return (await stat(path)).size === size ? path : undefined;
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
    if (size !== undefined && info.size !== size) {
      await rm(path, { force: true });
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
}

/** SHA256 of a file, streamed. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
