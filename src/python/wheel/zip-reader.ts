// A zip reader for untrusted wheels, reading a file on disk by offsets and
// never holding the archive whole. The central directory is the truth (as
// for pip and every unzip): it is found through the end-of-central-directory
// record (zip64 when a field overflows), read under an entry-count cap, and
// each entry's local header is checked against it before the entry's bytes
// are streamed (stored, or deflate through node:zlib's inflateRaw). Sizes in
// local headers and data descriptors are not trusted: the central
// directory's are, and the bytes inflated must match them and their CRC-32.
//
// Zip bombs are refused before anything is inflated where the directory
// already says so (entry count, declared sizes, declared ratio, entries whose
// data overlap — the "better zip bomb" construction) and while inflating
// where it lies (more bytes than declared stops the inflater at once).

import type { FileHandle } from "node:fs/promises";
import { open } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { crc32, createInflateRaw, inflateRawSync } from "node:zlib";
import { CudasealError, type ErrorCode } from "../../errors.ts";

/** Caps on what one archive may hold. */
export interface ZipLimits {
  /** Entries in the central directory. */
  maxEntries: number;
  /** Bytes of the central directory, which is read whole. */
  maxDirectorySize: number;
  /** Uncompressed bytes of one entry. */
  maxEntrySize: number;
  /** Uncompressed bytes of all entries together. */
  maxTotalSize: number;
  /** Uncompressed/compressed ratio of one entry, checked for entries of at least `ratioFloor` bytes. */
  maxRatio: number;
  ratioFloor: number;
}

/**
 * Defaults sized for real GPU wheels: torch holds ~15k files and ~1.7 GB
 * uncompressed, the largest nvidia-* libraries ~1 GB each, and machine code
 * compresses 2–5×, so 200× on a large entry is a bomb, not a library.
 */
export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxEntries: 200_000,
  // torch's directory is ~2.5 MB; 200,000 entries with long names fit in 64 MiB.
  maxDirectorySize: 64 * 1024 * 1024,
  maxEntrySize: 4 * 1024 ** 3,
  maxTotalSize: 16 * 1024 ** 3,
  maxRatio: 200,
  ratioFloor: 16 * 1024 * 1024,
};

/** Where an entry's stored (compressed) bytes lie in the file, once read and checked. */
export interface RawFacts {
  /** Offset of the first byte after the local header. */
  start: number;
  /** CRC-32 of the stored bytes as they were read. */
  rawCrc32: number;
  /** The stored bytes themselves, for a small member read whole. */
  stored?: Buffer;
}

/** One member as the central directory describes it. */
export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  /** Offset of the local header. */
  offset: number;
  /** Unix mode from the external attributes when made on Unix, else 0. */
  unixMode: number;
  isDirectory: boolean;
}

export interface ZipArchive {
  /** Entries in central-directory order. */
  entries: ZipEntry[];
  /**
   * Streams an entry's uncompressed bytes, checked against its size and
   * CRC-32 at the end; `raw`, when given, then learns where the stored bytes
   * lie and their CRC-32 (for copying the deflate stream as it is).
   */
  read(entry: ZipEntry, raw?: (facts: RawFacts) => void): AsyncIterable<Buffer>;
  /** Reads a small entry whole (at most `cap` bytes, else WHEEL_TOO_LARGE). */
  readAll(entry: ZipEntry, cap: number): Promise<Buffer>;
  close(): Promise<void>;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const MAX_COMMENT = 0xffff;
const READ_CHUNK = 1024 * 1024;

function fail(code: ErrorCode, origin: string, message: string, details: Record<string, unknown> = {}) {
  return new CudasealError(code, `${origin}: ${message}`, {
    hint: "the wheel is malformed or hostile; do not use it",
    details: { wheel: origin, ...details },
  });
}

async function readAt(fh: FileHandle, offset: number, length: number): Promise<Buffer> {
  // Only the bytes read are returned, so the rest need not be zeroed.
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

interface Directory {
  offset: number;
  size: number;
  count: number;
}

/** The central directory's place, from the EOCD record (and the zip64 one when a field is saturated). */
async function findDirectory(fh: FileHandle, fileSize: number, origin: string): Promise<Directory> {
  const tailLength = Math.min(fileSize, 22 + MAX_COMMENT);
  const tail = await readAt(fh, fileSize - tailLength, tailLength);
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIG && i + 22 + tail.readUInt16LE(i + 20) === tail.length) {
      at = i;
      break;
    }
  }
  if (at < 0) throw fail("WHEEL_INVALID", origin, "not a zip archive (no end of central directory record)");
  if (tail.readUInt16LE(at + 4) !== 0 || tail.readUInt16LE(at + 6) !== 0) {
    throw fail("WHEEL_INVALID", origin, "multi-disk zip archives are not wheels");
  }
  let count = tail.readUInt16LE(at + 10);
  let size = tail.readUInt32LE(at + 12);
  let offset = tail.readUInt32LE(at + 16);
  if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    const eocdPos = fileSize - tailLength + at;
    if (eocdPos < 20) throw fail("WHEEL_INVALID", origin, "zip64 locator missing");
    const locator = await readAt(fh, eocdPos - 20, 20);
    if (locator.readUInt32LE(0) !== ZIP64_LOCATOR_SIG)
      throw fail("WHEEL_INVALID", origin, "zip64 locator missing");
    const recordPos = Number(locator.readBigUInt64LE(8));
    const record = await readAt(fh, recordPos, 56);
    if (record.length < 56 || record.readUInt32LE(0) !== ZIP64_EOCD_SIG) {
      throw fail("WHEEL_INVALID", origin, "zip64 end of central directory record missing");
    }
    count = Number(record.readBigUInt64LE(32));
    size = Number(record.readBigUInt64LE(40));
    offset = Number(record.readBigUInt64LE(48));
  }
  if (offset + size > fileSize)
    throw fail("WHEEL_INVALID", origin, "central directory lies past the end of the file");
  return { offset, size, count };
}

/** Reads the zip64 extended-information extra field's values for the saturated fields, in spec order. */
function zip64Extra(extra: Buffer, want: { size: boolean; csize: boolean; offset: boolean }, origin: string) {
  let i = 0;
  while (i + 4 <= extra.length) {
    const id = extra.readUInt16LE(i);
    const len = extra.readUInt16LE(i + 2);
    if (id === 0x0001) {
      const field = extra.subarray(i + 4, i + 4 + len);
      let p = 0;
      const next = () => {
        if (p + 8 > field.length) throw fail("WHEEL_INVALID", origin, "zip64 extra field too short");
        const v = Number(field.readBigUInt64LE(p));
        p += 8;
        return v;
      };
      return {
        size: want.size ? next() : undefined,
        csize: want.csize ? next() : undefined,
        offset: want.offset ? next() : undefined,
      };
    }
    i += 4 + len;
  }
  throw fail("WHEEL_INVALID", origin, "zip64 extra field missing");
}

function parseDirectory(buf: Buffer, count: number, origin: string): ZipEntry[] {
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let n = 0; n < count; n++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CENTRAL_SIG) {
      throw fail("WHEEL_INVALID", origin, "central directory is truncated or corrupt");
    }
    const madeBy = buf.readUInt16LE(p + 4) >> 8;
    const flags = buf.readUInt16LE(p + 8);
    const method = buf.readUInt16LE(p + 10);
    const crc = buf.readUInt32LE(p + 16);
    let csize = buf.readUInt32LE(p + 20);
    let size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const external = buf.readUInt32LE(p + 38);
    let offset = buf.readUInt32LE(p + 42);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > buf.length) throw fail("WHEEL_INVALID", origin, "central directory is truncated");
    const name = buf.toString("utf8", p + 46, p + 46 + nameLen);
    if (flags & 0x1) throw fail("WHEEL_INVALID", origin, `${name} is encrypted`, { entry: name });
    if (method !== 0 && method !== 8) {
      throw fail("WHEEL_INVALID", origin, `${name} uses compression method ${method}`, { entry: name });
    }
    if (size === 0xffffffff || csize === 0xffffffff || offset === 0xffffffff) {
      const extra = buf.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen);
      const z = zip64Extra(
        extra,
        { size: size === 0xffffffff, csize: csize === 0xffffffff, offset: offset === 0xffffffff },
        origin,
      );
      size = z.size ?? size;
      csize = z.csize ?? csize;
      offset = z.offset ?? offset;
    }
    // Unix (3) and macOS (19) put st_mode in the high 16 bits.
    const unixMode = madeBy === 3 || madeBy === 19 ? external >>> 16 : 0;
    entries.push({
      name,
      method,
      crc32: crc,
      compressedSize: csize,
      size,
      offset,
      unixMode,
      isDirectory: name.endsWith("/"),
    });
    p = end;
  }
  return entries;
}

/**
 * Refuses bombs the directory already shows: too big, too compressed, or
 * overlapping data. Returns where each entry's data must end (the next
 * entry's local header, or the central directory), which its local header
 * is held to when the entry is read.
 */
function checkBombs(
  entries: ZipEntry[],
  dirOffset: number,
  limits: ZipLimits,
  origin: string,
): Map<ZipEntry, number> {
  let total = 0;
  for (const e of entries) {
    if (e.size > limits.maxEntrySize) {
      throw fail(
        "WHEEL_TOO_LARGE",
        origin,
        `${e.name} is ${e.size} bytes uncompressed, over the ${limits.maxEntrySize}-byte cap`,
        { entry: e.name },
      );
    }
    total += e.size;
    if (e.size >= limits.ratioFloor && e.size > limits.maxRatio * Math.max(1, e.compressedSize)) {
      throw fail(
        "WHEEL_TOO_LARGE",
        origin,
        `${e.name} expands ${Math.round(e.size / Math.max(1, e.compressedSize))}×, over the ${limits.maxRatio}× cap`,
        { entry: e.name },
      );
    }
    if (e.method === 0 && e.size !== e.compressedSize) {
      throw fail("WHEEL_INVALID", origin, `${e.name} is stored but its sizes differ`, { entry: e.name });
    }
  }
  if (total > limits.maxTotalSize) {
    throw fail(
      "WHEEL_TOO_LARGE",
      origin,
      `${total} bytes uncompressed, over the ${limits.maxTotalSize}-byte cap`,
    );
  }
  // Each entry's local header and data must end before the next begins
  // (30 bytes is the local header without its name and extra field).
  const byOffset = [...entries].sort((a, b) => a.offset - b.offset);
  const ends = new Map<ZipEntry, number>();
  for (let i = 0; i < byOffset.length; i++) {
    const e = byOffset[i] as ZipEntry;
    const next = i + 1 < byOffset.length ? (byOffset[i + 1] as ZipEntry).offset : dirOffset;
    ends.set(e, next);
    if (e.offset + 30 + e.compressedSize > next) {
      throw fail(
        "WHEEL_TOO_LARGE",
        origin,
        `${e.name} overlaps another entry's data (an overlapping-entry zip bomb)`,
        { entry: e.name },
      );
    }
  }
  return ends;
}

/** Opens `path` as a zip, reading only its central directory. */
export async function openZip(
  path: string,
  origin: string,
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
): Promise<ZipArchive> {
  const fh = await open(path, "r");
  try {
    const fileSize = (await fh.stat()).size;
    const dir = await findDirectory(fh, fileSize, origin);
    if (dir.count > limits.maxEntries) {
      throw fail("WHEEL_TOO_LARGE", origin, `${dir.count} entries, over the ${limits.maxEntries}-entry cap`);
    }
    // A central directory entry is at least 46 bytes; larger than that for the count is padding or a lie.
    if (dir.size > dir.count * (46 + 3 * 0xffff))
      throw fail("WHEEL_INVALID", origin, "central directory is oversized");
    if (dir.size > limits.maxDirectorySize)
      throw fail(
        "WHEEL_TOO_LARGE",
        origin,
        `central directory of ${dir.size} bytes, over the ${limits.maxDirectorySize}-byte cap`,
      );
    const entries = parseDirectory(await readAt(fh, dir.offset, dir.size), dir.count, origin);
    const ends = checkBombs(entries, dir.offset, limits, origin);
    return archive(fh, entries, origin, ends);
  } catch (err) {
    await fh.close();
    throw err;
  }
}

function archive(
  fh: FileHandle,
  entries: ZipEntry[],
  origin: string,
  ends: Map<ZipEntry, number>,
): ZipArchive {
  const read = (entry: ZipEntry, raw?: (facts: RawFacts) => void) =>
    readEntry(fh, entry, origin, ends.get(entry) ?? 0, raw);
  return {
    entries,
    read,
    async readAll(entry, cap) {
      if (entry.size > cap)
        throw fail("WHEEL_TOO_LARGE", origin, `${entry.name} is over ${cap} bytes`, { entry: entry.name });
      const chunks: Buffer[] = [];
      for await (const c of read(entry)) chunks.push(c);
      return Buffer.concat(chunks);
    },
    close: () => fh.close(),
  };
}

/**
 * Where an entry's data starts: after its local header, which must agree
 * with the directory. `want` stored bytes are read in the same call when the
 * extra field is short, as it is in wheels (one read per small member).
 */
async function localHeader(
  fh: FileHandle,
  entry: ZipEntry,
  origin: string,
  end: number,
  want: number,
): Promise<{ start: number; stored?: Buffer }> {
  const expected = 30 + Buffer.byteLength(entry.name) + 64;
  const buf = await readAt(fh, entry.offset, expected + want);
  if (buf.length < 30 || buf.readUInt32LE(0) !== LOCAL_SIG) {
    throw fail("WHEEL_INVALID", origin, `${entry.name}: local header missing`, { entry: entry.name });
  }
  const nameLen = buf.readUInt16LE(26);
  const extraLen = buf.readUInt16LE(28);
  const nameBytes =
    30 + nameLen <= buf.length
      ? buf.subarray(30, 30 + nameLen)
      : await readAt(fh, entry.offset + 30, nameLen);
  const name = nameBytes.toString("utf8");
  if (name !== entry.name || buf.readUInt16LE(8) !== entry.method) {
    throw fail(
      "WHEEL_INVALID",
      origin,
      `${entry.name}: local header disagrees with the central directory (${name})`,
      {
        entry: entry.name,
      },
    );
  }
  const rel = 30 + nameLen + extraLen;
  // A long extra field would move the data into the next entry's: two members from one stream.
  if (entry.offset + rel + entry.compressedSize > end)
    throw fail(
      "WHEEL_TOO_LARGE",
      origin,
      `${entry.name} overlaps another entry's data (by its local header)`,
      {
        entry: entry.name,
      },
    );
  const stored = want > 0 && buf.length >= rel + want ? buf.subarray(rel, rel + want) : undefined;
  return { start: entry.offset + rel, stored };
}

async function* rawBytes(fh: FileHandle, start: number, length: number): AsyncGenerator<Buffer> {
  let done = 0;
  while (done < length) {
    const n = Math.min(READ_CHUNK, length - done);
    const buf = Buffer.allocUnsafe(n);
    const { bytesRead } = await fh.read(buf, 0, n, start + done);
    if (bytesRead === 0) throw new Error("unexpected end of file");
    done += bytesRead;
    yield bytesRead === n ? buf : buf.subarray(0, bytesRead);
  }
}

/** Members at most this large (stored, and inflated) are read and inflated in one call. */
const SMALL_STORED = 1024 * 1024;
const SMALL_INFLATED = 4 * 1024 * 1024;

/** Inflates a small member whole, never past one byte more than it declares; `used` is the input consumed. */
function inflateSmall(stored: Buffer, entry: ZipEntry, origin: string): { out: Buffer; used: number } {
  try {
    const { buffer, engine } = inflateRawSync(stored, {
      info: true,
      maxOutputLength: entry.size + 1,
    }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    return { out: buffer, used: engine.bytesWritten };
  } catch (err) {
    if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
      throw fail("WHEEL_TOO_LARGE", origin, `${entry.name} inflates past its declared ${entry.size} bytes`, {
        entry: entry.name,
      });
    }
    throw new CudasealError("WHEEL_INVALID", `${origin}: ${entry.name}: ${(err as Error).message}`, {
      hint: "the wheel is malformed or hostile; do not use it",
      details: { wheel: origin, entry: entry.name },
      cause: err,
    });
  }
}

async function* readEntry(
  fh: FileHandle,
  entry: ZipEntry,
  origin: string,
  end: number,
  raw?: (facts: RawFacts) => void,
): AsyncGenerator<Buffer> {
  const small = entry.compressedSize <= SMALL_STORED && entry.size <= SMALL_INFLATED;
  const { start, stored: prefetched } = await localHeader(
    fh,
    entry,
    origin,
    end,
    small ? entry.compressedSize : 0,
  );
  let rawCrc = 0;
  let storedWhole: Buffer | undefined;
  let source: AsyncIterable<Buffer> | Buffer[];
  let inflater: ReturnType<typeof createInflateRaw> | undefined;
  let consumed: number | undefined;
  if (small) {
    // Most members of most wheels: one read and one inflate call, without a
    // stream and a compressor instance each (thousands per wheel add up).
    const stored = prefetched ?? (await readAt(fh, start, entry.compressedSize));
    storedWhole = stored;
    if (stored.length !== entry.compressedSize)
      throw fail("WHEEL_INVALID", origin, `${entry.name} is truncated`);
    if (raw) rawCrc = crc32(stored);
    const inflated =
      entry.method === 8 ? inflateSmall(stored, entry, origin) : { out: stored, used: stored.length };
    source = [inflated.out];
    consumed = entry.method === 8 ? inflated.used : undefined;
  } else {
    source = (async function* () {
      for await (const chunk of rawBytes(fh, start, entry.compressedSize)) {
        if (raw) rawCrc = crc32(chunk, rawCrc);
        yield chunk;
      }
    })();
    if (entry.method === 8) {
      inflater = createInflateRaw({ chunkSize: 256 * 1024 });
      // pipeline ends the inflater when the raw bytes end and destroys the read when the inflater goes.
      pipeline(Readable.from(source, { highWaterMark: 1 }), inflater).catch(() => {});
      source = inflater;
    }
  }
  let seen = 0;
  let crc = 0;
  try {
    for await (const chunk of source) {
      seen += chunk.length;
      if (seen > entry.size) {
        throw fail(
          "WHEEL_TOO_LARGE",
          origin,
          `${entry.name} inflates past its declared ${entry.size} bytes`,
          {
            entry: entry.name,
          },
        );
      }
      crc = crc32(chunk, crc);
      yield chunk;
    }
  } catch (err) {
    if (err instanceof CudasealError) throw err;
    throw new CudasealError("WHEEL_INVALID", `${origin}: ${entry.name}: ${(err as Error).message}`, {
      hint: "the wheel is malformed or hostile; do not use it",
      details: { wheel: origin, entry: entry.name },
      cause: err,
    });
  } finally {
    inflater?.destroy();
  }
  if (seen !== entry.size || crc >>> 0 !== entry.crc32) {
    throw fail(
      "WHEEL_INVALID",
      origin,
      `${entry.name}: size or CRC-32 does not match the central directory`,
      {
        entry: entry.name,
      },
    );
  }
  // The deflate stream must end exactly where the entry does: bytes after its
  // final block are ignored by the inflater but would not be by a copier.
  if (inflater) consumed = inflater.bytesWritten;
  if (consumed !== undefined && consumed !== entry.compressedSize) {
    throw fail("WHEEL_INVALID", origin, `${entry.name}: bytes follow the end of its deflate stream`, {
      entry: entry.name,
    });
  }
  raw?.({ start, rawCrc32: rawCrc >>> 0, stored: small ? storedWhole : undefined });
}
