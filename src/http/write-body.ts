// An answer's body written to a new file while it is hashed and counted: the
// one place a download meets the disk. Big downloads (a 172 MiB library, the
// security tracker's export) pass through once, in constant memory, and a
// download that fails for any reason leaves no file behind.

import { createHash } from "node:crypto";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { finished } from "node:stream/promises";
import { declaresMoreThan } from "./read-capped.ts";

export interface WriteBodyOptions {
  /** The most bytes written; one more is refused with `tooLarge()`. */
  maxBytes: number;
  tooLarge: () => Error;
  /** Hears of each piece as it is written. */
  onBytes?: (delta: number) => void;
}

/** What was written. */
export interface WrittenBody {
  size: number;
  /** Lowercase hex. */
  sha256: string;
}

/**
 * Write the body of `res` to `path`, which must not exist yet; a declared
 * length past the cap is refused before the file is made. On failure the
 * file is removed and the error thrown as it came: the body's own (a timeout,
 * a cut connection, in the caller's terms), `tooLarge()`, or the file
 * system's (ENOSPC, EACCES…).
 */
export async function writeBody(
  res: Response,
  path: string,
  options: WriteBodyOptions,
): Promise<WrittenBody> {
  if (declaresMoreThan(res, options.maxBytes)) {
    await res.body?.cancel().catch(() => undefined);
    throw options.tooLarge();
  }
  const out = createWriteStream(path, { flags: "wx" });
  // A write that fails (disk full, no permission) fails the download; an
  // 'error' event nobody listens to would take the whole process down.
  let writeError: Error | undefined;
  out.on("error", (err) => {
    writeError ??= err;
  });
  const hash = createHash("sha256");
  let size = 0;
  try {
    if (res.body !== null) {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        size += chunk.byteLength;
        if (size > options.maxBytes) throw options.tooLarge();
        hash.update(chunk);
        options.onBytes?.(chunk.byteLength);
        if (!out.write(chunk) && !writeError) await once(out, "drain");
        if (writeError) throw writeError;
      }
    }
    await new Promise<void>((resolve, reject) => {
      out.end((err?: Error | null) => (err ? reject(err) : resolve()));
    });
    if (writeError) throw writeError;
  } catch (err) {
    // Closed before the file is removed: a file opened after the rm below would stay behind.
    out.destroy();
    await finished(out).catch(() => undefined);
    await rm(path, { force: true });
    throw err;
  }
  return { size, sha256: hash.digest("hex") };
}
