// A tar archive read in place, for `oci-archive:` and `docker-archive:`: one
// pass over its headers (bodies are skipped, never read) records where each
// regular file's bytes lie, then files are read by offset from the archive.
// Nothing is extracted to disk. PAX and GNU long names are honoured; a name
// that appears twice means its last copy, as tar(1) extracting would.

import type { FileHandle } from "node:fs/promises";
import { posix } from "node:path";
import { Readable } from "node:stream";
import { CudasealError } from "../errors.ts";
import { BLOCK, isZeroBlock, padding, parseHeader, parsePax } from "../tar/header.ts";
import { openRegularFile, regularFileStream } from "../util/read-regular-file.ts";
import { type BlobFiles, CHUNK, tooLarge } from "./blob-files.ts";

interface Span {
  offset: number;
  size: number;
}

const MAX_META = 1024 * 1024;
const MAX_ENTRIES = 1_000_000;

/** Index the regular files of the tar archive `file`. */
export async function indexTar(file: string): Promise<BlobFiles> {
  const fh = await openRegularFile(file, "image archive").then(
    (opened) => opened.handle,
    (err: unknown) => {
      if (err instanceof CudasealError) throw err;
      throw new CudasealError("IMAGE_INVALID", `cannot open ${file}`, { cause: err });
    },
  );
  let spans: Map<string, Span>;
  try {
    spans = await walk(fh, file);
  } finally {
    await fh.close();
  }
  const find = (name: string) => spans.get(posix.normalize(name).replace(/^\.\//, ""));
  return {
    label: file,
    async read(name, max) {
      const span = find(name);
      if (span === undefined) return undefined;
      if (span.size > max) throw tooLarge(file, name, max);
      const { handle: h } = await openRegularFile(file, "image archive");
      try {
        const buf = Buffer.alloc(span.size);
        const { bytesRead } = await h.read(buf, 0, span.size, span.offset);
        if (bytesRead !== span.size) throw truncated(file, name);
        return buf;
      } finally {
        await h.close();
      }
    },
    async size(name) {
      return find(name)?.size;
    },
    async stream(name, range = { start: 0, end: Number.POSITIVE_INFINITY }) {
      const span = find(name);
      if (span === undefined) throw new CudasealError("IMAGE_INVALID", `${file}: ${name} is missing`);
      const start = Math.min(range.start, span.size);
      const end = Math.min(range.end, span.size);
      if (end <= start) return Readable.from([]);
      return regularFileStream(file, "image archive", {
        start: span.offset + start,
        end: span.offset + end - 1,
        highWaterMark: CHUNK,
      });
    },
  };
}

async function walk(fh: FileHandle, file: string): Promise<Map<string, Span>> {
  const { size: total } = await fh.stat();
  const spans = new Map<string, Span>();
  const block = Buffer.alloc(BLOCK);
  let pos = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  for (let count = 0; ; count++) {
    if (count > MAX_ENTRIES) throw invalid(file, "has too many entries");
    const { bytesRead } = await fh.read(block, 0, BLOCK, pos);
    if (bytesRead < BLOCK) throw invalid(file, "ends without its end-of-archive block");
    if (isZeroBlock(block)) return spans;
    let h: ReturnType<typeof parseHeader>;
    try {
      h = parseHeader(block);
    } catch (err) {
      throw invalid(file, `has a bad header at offset ${pos}`, err);
    }
    const data = pos + BLOCK;
    if (data + h.size > total) throw truncated(file, h.name);
    const meta = async () => {
      if (h.size > MAX_META) throw invalid(file, `has an extended header larger than ${MAX_META} bytes`);
      const buf = Buffer.alloc(h.size);
      await fh.read(buf, 0, h.size, data);
      return buf;
    };
    if (h.typeflag === "L") {
      longName = (await meta()).toString("utf8").replace(/\0+$/, "");
    } else if (h.typeflag === "x") {
      paxPath = parsePax(await meta()).get("path") ?? paxPath;
    } else if (h.typeflag === "g" || h.typeflag === "K") {
      // Global headers and long link names say nothing about where files lie.
    } else {
      const name = posix.normalize(paxPath ?? longName ?? h.name).replace(/^(\.\/)+|^\/+/, "");
      if (h.type === "file") spans.set(name, { offset: data, size: h.size });
      else spans.delete(name);
      longName = undefined;
      paxPath = undefined;
    }
    pos = data + h.size + padding(h.size);
  }
}

function invalid(file: string, what: string, cause?: unknown): CudasealError {
  return new CudasealError("IMAGE_INVALID", `${file} ${what}`, { cause });
}

function truncated(file: string, name: string): CudasealError {
  return new CudasealError("IMAGE_INVALID", `${file} is cut short inside ${name}`);
}
