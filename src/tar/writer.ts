// A deterministic tar writer: the same entries give the same bytes. No user
// or group names, no device numbers, no atime/ctime, PAX only where ustar
// cannot hold a field. File bodies stream through; a body whose length
// differs from its declared size is an error, not a corrupt archive.

import { CudasealError } from "../errors.ts";
import { BLOCK, encodeHeader, padding } from "./header.ts";

export interface TarWriteEntry {
  /** Relative path, without a leading slash; directories without a trailing one. */
  path: string;
  type: "file" | "directory" | "symlink" | "hardlink";
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  size?: number;
  linkname?: string;
  body?: Uint8Array | AsyncIterable<Uint8Array>;
}

const TYPEFLAG = { file: "0", hardlink: "1", symlink: "2", directory: "5" } as const;
const ZEROS = Buffer.alloc(BLOCK * 2);

/** The tar bytes of `entries`, ending with the two zero blocks. */
export async function* writeTar(
  entries: AsyncIterable<TarWriteEntry> | Iterable<TarWriteEntry>,
): AsyncGenerator<Buffer> {
  for await (const e of entries) {
    const size = e.type === "file" ? (e.size ?? 0) : 0;
    yield encodeHeader({
      name: e.type === "directory" ? `${e.path}/` : e.path,
      mode: e.mode & 0o7777,
      uid: e.uid,
      gid: e.gid,
      size,
      mtime: Math.floor(e.mtime),
      typeflag: TYPEFLAG[e.type],
      linkname: e.linkname ?? "",
    });
    if (e.type !== "file") continue;
    let written = 0;
    if (e.body instanceof Uint8Array) {
      written = e.body.byteLength;
      if (written === size) yield Buffer.from(e.body.buffer, e.body.byteOffset, e.body.byteLength);
    } else if (e.body) {
      for await (const chunk of e.body) {
        written += chunk.byteLength;
        if (written > size) break;
        yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      }
    }
    if (written !== size) {
      throw new CudasealError(
        "TAR_SIZE_MISMATCH",
        `${e.path}: body has ${written > size ? "more than" : written} bytes, the entry declares ${size}`,
        {
          details: { entry: e.path, declared: size },
        },
      );
    }
    const pad = padding(size);
    if (pad) yield ZEROS.subarray(0, pad);
  }
  yield ZEROS;
}
