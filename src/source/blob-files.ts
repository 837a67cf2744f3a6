// The files of an OCI image layout, wherever they lie: a directory, or a tar
// archive read in place (tar-index.ts). Layout readers ask for small JSON
// files whole and for blobs as streams.

import { stat } from "node:fs/promises";
import { join, normalize } from "node:path";
import type { Readable } from "node:stream";
import { CudasealError, isCudasealError } from "../errors.ts";
import type { BlobSource } from "../registry/index.ts";
import { readRegularFile, regularFileStream } from "../util/read-regular-file.ts";

/** Named files of a layout or archive; names are relative, `/`-separated. */
export interface BlobFiles {
  /** Where the files are, for messages. */
  readonly label: string;
  /** A file's bytes when it exists and holds at most `max` bytes; undefined when absent; IMAGE_INVALID when larger. */
  read(name: string, max: number): Promise<Buffer | undefined>;
  /** A file's size in bytes; undefined when absent. */
  size(name: string): Promise<number | undefined>;
  /** A file's bytes, or those from `start` up to `end` (exclusive), as a stream; IMAGE_INVALID when absent. */
  stream(name: string, range?: ByteRange): Promise<Readable>;
}

/** Bytes `start` up to `end` (exclusive) of a file. */
export interface ByteRange {
  start: number;
  end: number;
}

/** Blobs are read in large chunks: fewer, bigger reads for hashing, inflating and uploading. */
export const CHUNK = 1024 * 1024;

/** The files of the directory `dir`; names that leave it are refused. */
export function directoryFiles(dir: string): BlobFiles {
  const path = (name: string) => {
    const rel = normalize(name);
    if (rel.startsWith("..") || rel.startsWith("/"))
      throw new CudasealError("IMAGE_INVALID", `${dir}: ${JSON.stringify(name)} leaves the layout`);
    return join(dir, rel);
  };
  return {
    label: dir,
    async read(name, max) {
      try {
        // A layout is anyone's: its index.json may be a link to /dev/zero or a FIFO.
        return await readRegularFile(path(name), { what: `layout file ${name}`, max });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        if (isCudasealError(err, "INPUT_TOO_LARGE")) throw tooLarge(dir, name, max);
        if (err instanceof CudasealError) throw err;
        throw new CudasealError("IMAGE_INVALID", `${dir}: cannot read ${name}`, { cause: err });
      }
    },
    async size(name) {
      try {
        return (await stat(path(name))).size;
      } catch {
        return undefined;
      }
    },
    async stream(name, range) {
      const file = path(name);
      const span = range === undefined ? {} : { start: range.start, end: range.end - 1 };
      return regularFileStream(file, `layout file ${name}`, { ...span, highWaterMark: CHUNK }).catch(
        (err: unknown) => {
          if (err instanceof CudasealError) throw err;
          throw new CudasealError("IMAGE_INVALID", `${dir}: ${name} is missing`, { cause: err });
        },
      );
    },
  };
}

/** The file `name` of `files` as a blob described by `desc`, any range of it read afresh on each open. */
export function fileBlob(
  files: BlobFiles,
  name: string,
  desc: { digest: string; size: number; mediaType?: string },
): BlobSource {
  return {
    digest: desc.digest,
    size: desc.size,
    mediaType: desc.mediaType ?? "",
    async *open(start = 0, end = desc.size) {
      if (end > start) yield* (await files.stream(name, { start, end })) as AsyncIterable<Uint8Array>;
    },
  };
}

/** The error for a JSON file too large to be what it claims. */
export function tooLarge(label: string, name: string, max: number): CudasealError {
  return new CudasealError("IMAGE_INVALID", `${label}: ${name} is larger than ${max} bytes`);
}
