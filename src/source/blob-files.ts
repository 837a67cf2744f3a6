// The files of an OCI image layout, wherever they lie: a directory, or a tar
// archive read in place (tar-index.ts). Layout readers ask for small JSON
// files whole and for blobs as streams.

import { open, stat } from "node:fs/promises";
import { join, normalize } from "node:path";
import type { Readable } from "node:stream";
import { CudasealError } from "../errors.ts";

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
      let fh: Awaited<ReturnType<typeof open>>;
      try {
        fh = await open(path(name), "r");
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw new CudasealError("IMAGE_INVALID", `${dir}: cannot read ${name}`, { cause: err });
      }
      try {
        const { size } = await fh.stat();
        if (size > max) throw tooLarge(dir, name, max);
        return await fh.readFile();
      } finally {
        await fh.close();
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
      const fh = await open(file, "r").catch((err: unknown) => {
        throw new CudasealError("IMAGE_INVALID", `${dir}: ${name} is missing`, { cause: err });
      });
      return fh.createReadStream();
    },
  };
}

/** The error for a JSON file too large to be what it claims. */
export function tooLarge(label: string, name: string, max: number): CudasealError {
  return new CudasealError("IMAGE_INVALID", `${label}: ${name} is larger than ${max} bytes`);
}
