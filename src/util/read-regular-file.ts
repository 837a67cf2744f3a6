// Reading a local file that cudaseal is told to read (a key, a spec, a
// policy) or finds in a layout, an archive or its cache, none of which it
// can trust: only a regular file is read, and never past a cap. A device
// (/dev/zero), a FIFO or a socket is refused before a byte is read, and a
// file larger than the cap is refused by its size, so neither can block the
// process or fill its memory. Symbolic links are followed: what is checked is
// the file at the end, so a key kept as a link to a secrets mount still
// works, while a link to a device or a FIFO is refused like the thing itself.

import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  type ReadStream,
  readSync,
  type Stats,
  statSync,
} from "node:fs";
import { type FileHandle, open, stat } from "node:fs/promises";
import { CudasealError } from "../errors.ts";

/** What a file is for, and the most bytes it may hold. */
export interface RegularFileLimit {
  /** What the file is, in errors: "signing key", "policy", "layout index.json". */
  what: string;
  /** Largest size accepted, in bytes. */
  max: number;
}

/**
 * O_NONBLOCK: opening a FIFO for reading waits for a writer, in a thread the
 * process cannot cancel, so not even a signal could end it; with the flag the
 * open returns at once and fstat refuses it. O_NOCTTY: a terminal named as a
 * key must not become the process's controlling terminal.
 */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/** Bytes asked for per read when the size on disk says nothing (files under /proc say 0). */
const CHUNK = 64 * 1024;

/** A regular file open for reading, with its size when opened. */
export interface OpenRegularFile {
  handle: FileHandle;
  size: number;
}

/**
 * Open `path` for reading when it is a regular file (INPUT_NOT_REGULAR
 * otherwise), for a caller that streams it and checks it by its digest or
 * size. Errors of the file system (ENOENT, EACCES) are thrown as they are.
 */
export async function openRegularFile(path: string, what: string): Promise<OpenRegularFile> {
  // Checked before the open as well as after it, so that a device is never
  // opened at all (opening some has effects of its own, such as a tape's rewind).
  checkRegular(await stat(path), path, what);
  const handle = await open(path, OPEN_FLAGS);
  try {
    const info = await handle.stat();
    checkRegular(info, path, what);
    return { handle, size: info.size };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** Where a stream starts and ends, as fs.createReadStream takes them (`end` inclusive). */
export interface StreamRange {
  start?: number;
  end?: number;
  highWaterMark?: number;
}

/**
 * The regular file `path` as a stream, for a caller that checks what it
 * reads by a digest or a size: INPUT_NOT_REGULAR before anything is read,
 * so a FIFO or a device named as a blob or a package neither blocks nor
 * streams forever. The stream closes the file when it ends or is destroyed.
 */
export async function regularFileStream(
  path: string,
  what: string,
  range: StreamRange = {},
): Promise<ReadStream> {
  const { handle } = await openRegularFile(path, what);
  return handle.createReadStream({ ...range, autoClose: true });
}

/**
 * The bytes of the regular file `path`: INPUT_NOT_REGULAR when it is not
 * one, INPUT_TOO_LARGE when it holds more than `limit.max` bytes, whether its
 * size says so or it grows while read. Errors of the file system are thrown
 * as they are, for the caller to word (ENOENT is often "absent", not wrong).
 */
export async function readRegularFile(path: string, limit: RegularFileLimit): Promise<Buffer> {
  const { handle, size } = await openRegularFile(path, limit.what);
  try {
    checkSize(size, path, limit);
    const into = new Collected(path, limit, size);
    for (;;) {
      const buf = into.next();
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (!into.add(buf, bytesRead)) return into.bytes();
    }
  } finally {
    await handle.close();
  }
}

/** readRegularFile, for the few callers that must stay synchronous (spec loading, policies). */
export function readRegularFileSync(path: string, limit: RegularFileLimit): Buffer {
  checkRegular(statSync(path), path, limit.what);
  const fd = openSync(path, OPEN_FLAGS);
  try {
    const info = fstatSync(fd);
    checkRegular(info, path, limit.what);
    checkSize(info.size, path, limit);
    const into = new Collected(path, limit, info.size);
    for (;;) {
      const buf = into.next();
      if (!into.add(buf, readSync(fd, buf, 0, buf.length, null))) return into.bytes();
    }
  } finally {
    closeSync(fd);
  }
}

/** The bytes read so far; at most one byte past the cap is ever read, so a file that grew is refused too. */
class Collected {
  readonly #chunks: Buffer[] = [];
  #have = 0;
  readonly #path: string;
  readonly #limit: RegularFileLimit;
  readonly #size: number;

  constructor(path: string, limit: RegularFileLimit, size: number) {
    this.#path = path;
    this.#limit = limit;
    this.#size = size;
  }

  /** A buffer for the next read: the rest of the file as its size gives it and one byte more, never past max+1. */
  next(): Buffer {
    const { max } = this.#limit;
    return Buffer.allocUnsafe(Math.min(max + 1 - this.#have, Math.max(this.#size + 1 - this.#have, CHUNK)));
  }

  /** Keep `n` bytes of `buf`; false at the end of the file. */
  add(buf: Buffer, n: number): boolean {
    if (n === 0) return false;
    this.#chunks.push(buf.subarray(0, n));
    this.#have += n;
    if (this.#have > this.#limit.max) throw tooLarge(this.#path, this.#limit, this.#have);
    return true;
  }

  bytes(): Buffer {
    return Buffer.concat(this.#chunks, this.#have);
  }
}

function checkRegular(info: Stats, path: string, what: string): void {
  if (info.isFile()) return;
  const kind = fileKind(info);
  throw new CudasealError("INPUT_NOT_REGULAR", `${what} ${path} is ${kind}, not a regular file`, {
    hint: `name a regular file as the ${what} (a symbolic link to one is fine)`,
    details: { path, what, kind },
  });
}

function checkSize(size: number, path: string, limit: RegularFileLimit): void {
  if (size > limit.max) throw tooLarge(path, limit, size);
}

function tooLarge(path: string, limit: RegularFileLimit, size: number): CudasealError {
  return new CudasealError("INPUT_TOO_LARGE", `${limit.what} ${path} is larger than ${limit.max} bytes`, {
    hint: `check that ${path} is the ${limit.what} you meant: none is this large`,
    details: { path, what: limit.what, max: limit.max, size },
  });
}

function fileKind(info: Stats): string {
  if (info.isDirectory()) return "a directory";
  if (info.isFIFO()) return "a FIFO";
  if (info.isCharacterDevice()) return "a character device";
  if (info.isBlockDevice()) return "a block device";
  if (info.isSocket()) return "a socket";
  return "not a regular file";
}
