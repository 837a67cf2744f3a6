// A deterministic tar writer: the same entries give the same bytes. Headers
// are ustar with empty user and group names, zero device numbers and no
// atime or ctime; a PAX header comes first only where ustar cannot hold a
// field (a long or non-ASCII path, a big size or id, a date outside 0..8^11).
// File bodies stream through as the consumer pulls, never held; a body whose
// length differs from its declared size is an error, never a corrupt
// archive. Paths must already be canonical: this is the last guard before
// bytes reach an image, so it refuses rather than repairs.

import { CudasealError } from "../errors.ts";
import { BLOCK, encodeHeader, padding } from "./header.ts";

/** One entry to write. */
export interface TarWriteEntry {
  /** Canonical path: relative, no `.`/`..`/empty parts, no trailing slash; `` only for the root directory. */
  path: string;
  type: "file" | "directory" | "symlink" | "hardlink";
  /** Permission bits; anything above 0o7777 is dropped. */
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch; fractions are dropped. */
  mtime: number;
  /** Body size, for files (0 when absent). */
  size?: number;
  /** Symlink target as it should read, or canonical hardlink target. */
  linkname?: string;
  /** File body: bytes, or a stream of them that must add up to `size`. */
  body?: Uint8Array | AsyncIterable<Uint8Array>;
}

const TYPEFLAG = { file: "0", hardlink: "1", symlink: "2", directory: "5" } as const;
const ZEROS = Buffer.alloc(BLOCK * 2);

/** The tar bytes of `entries`, ending with the two zero blocks. Pull it through a pipeline for backpressure. */
export async function* writeTar(
  entries: AsyncIterable<TarWriteEntry> | Iterable<TarWriteEntry>,
): AsyncGenerator<Buffer> {
  for await (const e of entries) {
    checkEntry(e);
    const size = e.type === "file" ? (e.size ?? 0) : 0;
    yield encodeHeader({
      name: e.type === "directory" ? (e.path === "" ? "./" : `${e.path}/`) : e.path,
      mode: e.mode & 0o7777,
      uid: e.uid,
      gid: e.gid,
      size,
      mtime: Math.floor(e.mtime),
      typeflag: TYPEFLAG[e.type],
      linkname: e.type === "symlink" || e.type === "hardlink" ? e.linkname! : "",
    });
    if (e.type !== "file") continue;
    let written = 0;
    if (e.body instanceof Uint8Array) {
      written = e.body.byteLength;
      if (written === size && size > 0) yield asBuffer(e.body);
    } else if (e.body) {
      for await (const chunk of e.body) {
        written += chunk.byteLength;
        // Stop before the extra bytes go out: the archive must not hold them.
        if (written > size) break;
        if (chunk.byteLength > 0) yield asBuffer(chunk);
      }
    }
    if (written !== size) {
      throw new CudasealError(
        "TAR_SIZE_MISMATCH",
        `${e.path}: the body has ${written > size ? "more than" : "only"} ${Math.min(written, size)} bytes, the entry declares ${size}`,
        { details: { entry: e.path, declared: size, written } },
      );
    }
    const pad = padding(size);
    if (pad > 0) yield ZEROS.subarray(0, pad);
  }
  yield ZEROS;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function checkEntry(e: TarWriteEntry): void {
  const bad = (
    code: "TAR_INVALID" | "TAR_ABSOLUTE_PATH" | "TAR_PATH_TRAVERSAL",
    why: string,
  ): CudasealError =>
    new CudasealError(code, `cannot write tar entry ${JSON.stringify(e.path)}: ${why}`, {
      hint: "this is a bug in cudaseal: the entry should have been refused or fixed earlier",
      details: { entry: e.path, type: e.type },
    });
  if (!(e.type in TYPEFLAG)) throw bad("TAR_INVALID", `unknown type ${String(e.type)}`);
  checkPath(e.path, e.type === "directory", bad);
  for (const [field, value] of [
    ["uid", e.uid],
    ["gid", e.gid],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw bad("TAR_INVALID", `${field} ${value} is not a valid id`);
    }
  }
  if (!Number.isFinite(e.mtime) || !Number.isSafeInteger(Math.floor(e.mtime))) {
    throw bad("TAR_INVALID", `mtime ${e.mtime} is not a time`);
  }
  if (!Number.isInteger(e.mode) || e.mode < 0) throw bad("TAR_INVALID", `mode ${e.mode} is not a mode`);
  if (e.type === "file") {
    const size = e.size ?? 0;
    if (!Number.isSafeInteger(size) || size < 0) throw bad("TAR_INVALID", `size ${size} is not a size`);
  }
  if (e.type === "symlink") {
    if (!e.linkname || e.linkname.includes("\0")) {
      throw bad("TAR_INVALID", "a symlink needs a target without NUL bytes");
    }
  }
  if (e.type === "hardlink") {
    if (e.linkname === undefined) throw bad("TAR_INVALID", "a hardlink needs a target");
    checkPath(e.linkname, false, bad);
  }
}

function checkPath(
  path: string,
  isDir: boolean,
  bad: (code: "TAR_INVALID" | "TAR_ABSOLUTE_PATH" | "TAR_PATH_TRAVERSAL", why: string) => CudasealError,
): void {
  if (path === "") {
    if (isDir) return;
    throw bad("TAR_INVALID", "the path is empty");
  }
  if (path.includes("\0")) throw bad("TAR_INVALID", "the path holds a NUL byte");
  if (path.startsWith("/")) throw bad("TAR_ABSOLUTE_PATH", "the path is absolute");
  for (const part of path.split("/")) {
    if (part === "..") throw bad("TAR_PATH_TRAVERSAL", "the path climbs with '..'");
    if (part === "" || part === ".") throw bad("TAR_INVALID", "the path is not canonical");
  }
}
