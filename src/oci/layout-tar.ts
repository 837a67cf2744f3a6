// Streams a layout's files into one tar file, for the oci-archive and the
// Docker archive. Blob files are read as the tar reaches them, one at a
// time, so a layer passes through once and is never held whole. Entries are
// owned by root, dated the epoch, and in the order given, so the archive's
// bytes depend only on the files.

import { createReadStream, createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import type { TarWriteEntry } from "../tar/writer.ts";
import { writeTar } from "../tar/writer.ts";
import { withTempFile } from "./atomic-output.ts";
import type { LayoutFile } from "./layout-contents.ts";

/** Write `files` (already sorted) as a tar at `file`, replacing it only once the tar is whole. */
export async function writeLayoutTar(file: string, files: readonly LayoutFile[]): Promise<void> {
  await withTempFile(file, async (tmp) => {
    await pipeline(writeTar(entries(files)), createWriteStream(tmp, { flags: "wx" }));
  });
}

function* entries(files: readonly LayoutFile[]): Generator<TarWriteEntry> {
  const owner = { uid: 0, gid: 0, mtime: 0 };
  const dirs = new Set<string>();
  for (const f of files) {
    // Each file's parent directories come just before its first file, as
    // `docker save` writes them; extractors that do not create parents need them.
    const parts = f.name.split("/");
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      if (dirs.has(dir)) continue;
      dirs.add(dir);
      yield { path: dir, type: "directory", mode: 0o755, ...owner };
    }
    // A source is a blob the layout builder found to be a regular file of the right size (and hash).
    const body = "bytes" in f ? f.bytes : createReadStream(f.source, { highWaterMark: 1 << 20 });
    yield { path: f.name, type: "file", mode: 0o644, size: f.size, body, ...owner };
  }
}
