// The files of an OCI image layout, wherever they lie: a directory, or a tar
// archive read in place (tar-index.ts). Layout readers ask for small JSON
// files whole and for blobs as streams.

import { stat } from "node:fs/promises";
import { join, normalize } from "node:path";
import type { Readable } from "node:stream";
import { CudasealError, isCudasealError } from "../errors.ts";
import { readRegularFile, regularFileStream } from "../util/read-regular-file.ts";

/** Named files of a layout or archive; names are relative, `/`-separated. */
export interface BlobFiles {
  /** Where the files are, for messages. */
  readonly label: string;
  /** A file's bytes when it exists and holds at most `max` bytes; undefined when absent; IMAGE_INVALID when larger. */
  read(name: string, max: number): Promise<Buffer | undefined>;
  /** A file's size in bytes; undefined when absent. */
  size(name: string): Promise<number | undefined>;
  /** A file's bytes as a stream; IMAGE_INVALID when absent. */
  stream(name: string): Promise<Readable>;
}

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
    async stream(name) {
      const file = path(name);
      return regularFileStream(file, `layout file ${name}`).catch((err: unknown) => {
        if (err instanceof CudasealError) throw err;
        throw new CudasealError("IMAGE_INVALID", `${dir}: ${name} is missing`, { cause: err });
      });
    },
  };
}

/** The error for a JSON file too large to be what it claims. */
export function tooLarge(label: string, name: string, max: number): CudasealError {
  return new CudasealError("IMAGE_INVALID", `${label}: ${name} is larger than ${max} bytes`);
}
