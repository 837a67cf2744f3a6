// A tar written entry by entry as a copy delivers its blobs, at a temporary
// name beside the archive (oci/atomic-output.ts), and renamed over it only
// when committed whole: a copy to an archive needs the archive's size on
// disk, once, and no layout beside it. A tar is sequential, so entries go in
// one at a time, in the order added; each blob is hashed as it passes and
// checked against its descriptor's size and digest at its end. A blob that
// does not match, a full disk or an abort removes the temporary file, so the
// archive appears whole or not at all.

import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { CudasealError } from "../errors.ts";
import { withTempFile } from "../oci/atomic-output.ts";
import { type TarWriteEntry, writeTar } from "../tar/writer.ts";

// Entries as `docker save` writes them: owned by root, dated the epoch.
const OWNER = { uid: 0, gid: 0, mtime: 0 };

/** One file of the archive: its name, its size, and its bytes, opened when its turn comes. */
export interface ArchiveFile {
  name: string;
  size: number;
  /** Checked at the end of the body when given (`sha256:<hex>`). */
  digest?: string;
  open(): AsyncIterable<Uint8Array>;
}

/** The archive `file`, being written. */
export class ArchiveStream {
  readonly #feed = new EntryFeed();
  /** The tar's writing: settles when the feed ends (renamed into place) or fails (removed). */
  readonly #written: Promise<void>;
  /** The last entry added: each waits for the one before it. */
  #tail: Promise<void> = Promise.resolve();
  readonly #dirs = new Set<string>();

  constructor(file: string) {
    this.#written = withTempFile(file, async (tmp) => {
      // Opened before the tar starts: a write stream opens its file on its own
      // time, so an archive aborted at once could create it after the temporary
      // was removed.
      const handle = await open(tmp, "wx");
      await pipeline(writeTar(this.#feed), handle.createWriteStream());
    });
    // Observed by add, commit and abort; never an unhandled rejection meanwhile.
    this.#written.catch(() => undefined);
  }

  /** Add a file (its parent folders first, once each); resolves once its bytes are in the tar. */
  add(file: ArchiveFile): Promise<void> {
    const turn = this.#tail.then(() => this.#write(file));
    this.#tail = turn.catch(() => undefined);
    return turn;
  }

  /** End the tar and rename it over the archive. */
  async commit(): Promise<void> {
    await this.#tail;
    this.#feed.end();
    await this.#written;
  }

  /** Stop writing and remove the temporary file. */
  async abort(reason: unknown = new Error("copy aborted")): Promise<void> {
    this.#feed.fail(reason);
    await this.#written.catch(() => undefined);
  }

  async #write(file: ArchiveFile): Promise<void> {
    const parts = file.name.split("/");
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      if (this.#dirs.has(dir)) continue;
      this.#dirs.add(dir);
      this.#feed.push({ path: dir, type: "directory", mode: 0o755, ...OWNER });
    }
    const done = deferred();
    this.#feed.push({
      path: file.name,
      type: "file",
      mode: 0o644,
      size: file.size,
      body: checked(file, done),
      ...OWNER,
    });
    // The body's end, or the tar's failure (a short body, a full disk, an abort).
    await Promise.race([
      done.promise,
      this.#written.then(() => {
        throw new Error(`the archive ended before ${file.name}`);
      }),
    ]);
  }
}

/** The file's bytes, hashed as they pass; IMAGE_INVALID at the end unless size and digest match. */
async function* checked(file: ArchiveFile, done: Deferred): AsyncGenerator<Uint8Array> {
  const hash = file.digest?.startsWith("sha256:") ? createHash("sha256") : undefined;
  let size = 0;
  try {
    for await (const chunk of file.open()) {
      hash?.update(chunk);
      size += chunk.byteLength;
      yield chunk;
    }
    const digest = hash === undefined ? file.digest : `sha256:${hash.digest("hex")}`;
    if (size !== file.size || digest !== file.digest)
      throw new CudasealError(
        "IMAGE_INVALID",
        `${file.name}: ${size} bytes with digest ${digest}, the descriptor says ${file.size} bytes, ${file.digest}`,
        { hint: "the source's blob does not match its manifest; the archive was not written" },
      );
    done.resolve();
  } catch (err) {
    done.reject(err);
    throw err;
  }
}

/** The entries of the tar, handed over as they are added; ended or failed by the archive. */
class EntryFeed implements AsyncIterable<TarWriteEntry> {
  readonly #queue: TarWriteEntry[] = [];
  #ended = false;
  #failed: { reason: unknown } | undefined;
  #wake: (() => void) | undefined;

  push(entry: TarWriteEntry): void {
    this.#queue.push(entry);
    this.#wake?.();
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  fail(reason: unknown): void {
    this.#failed = { reason };
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<TarWriteEntry> {
    for (;;) {
      if (this.#failed !== undefined) throw this.#failed.reason;
      const next = this.#queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((wake) => {
        this.#wake = wake;
      });
      this.#wake = undefined;
    }
  }
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  // Raced against the tar's failure; the loser's rejection is not an error.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
