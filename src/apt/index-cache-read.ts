// Opens one compact index (index-cache-format.ts) and decodes its records on
// demand. Opening reads the header and the tables (record offsets, name
// index, name table) and checks them; a record is read with one positioned
// read, and checked, only when the resolver first asks for a name it holds.
// A name is found by binary search over the name index, so opening builds no
// map of the tens of thousands of names an archive holds.

import { closeSync, constants, fstatSync, openSync, readSync, rmSync } from "node:fs";
import { crc32 } from "node:zlib";
import { CudasealError } from "../errors.ts";
import {
  decodeFields,
  decodeHeader,
  HEADER_SIZE,
  type Header,
  IndexCacheInvalid,
} from "./index-cache-format.ts";

// The file stays open while its index is in use (records are read lazily);
// it closes when the index is collected, or at exit.
const closer = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {}
});

/** One entry, opened and its tables checked. */
export class CompactIndex {
  readonly path: string;
  readonly header: Header;
  readonly #fd: number;
  readonly #offsets: Buffer;
  readonly #nameIndex: Buffer;
  readonly #names: Buffer;

  private constructor(path: string, fd: number, header: Header, tables: Buffer) {
    this.path = path;
    this.header = header;
    this.#fd = fd;
    this.#offsets = tables.subarray(0, header.offsetsBytes);
    this.#nameIndex = tables.subarray(header.offsetsBytes, header.offsetsBytes + header.nameIndexBytes);
    this.#names = tables.subarray(header.offsetsBytes + header.nameIndexBytes);
  }

  /** Open `path`, expected to hold the index `source` (its signed SHA256) for `arch`; IndexCacheInvalid when it does not. */
  static open(path: string, source: string, arch: string): CompactIndex {
    // O_NONBLOCK: opening a FIFO for reading would wait for a writer, here on the main thread.
    const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    try {
      if (!fstatSync(fd).isFile()) throw new IndexCacheInvalid("not a regular file");
      const block = Buffer.alloc(HEADER_SIZE);
      readFully(fd, block, 0);
      const header = decodeHeader(block, source, arch);
      const tablesBytes = header.offsetsBytes + header.nameIndexBytes + header.namesBytes;
      if (fstatSync(fd).size !== HEADER_SIZE + header.recordsBytes + tablesBytes)
        throw new IndexCacheInvalid("truncated or extended");
      const tables = Buffer.alloc(tablesBytes);
      readFully(fd, tables, HEADER_SIZE + header.recordsBytes);
      if (crc32(tables) !== header.tables) throw new IndexCacheInvalid("its tables fail their checksum");
      const index = new CompactIndex(path, fd, header, tables);
      closer.register(index, fd);
      return index;
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** Every name some record is called (not only provided), in byte order. */
  *recordNames(): IterableIterator<string> {
    for (let i = 0; i < this.header.names; i++) {
      const name = this.#checked(() => {
        const at = this.#nameAt(i);
        const end = at + 2 + this.#names.readUInt16LE(at);
        if (end + 8 > this.#names.length) this.#bad();
        return this.#names.readUInt32LE(end) > 0 ? this.#names.toString("utf8", at + 2, end) : undefined;
      });
      if (name !== undefined) yield name;
    }
  }

  /** Ids of the records whose Package is `name`, in index order. */
  recordIds(name: string): number[] {
    return this.#checked(() => {
      const at = this.#find(name);
      if (at === -1) return [];
      const count = this.#names.readUInt32LE(at);
      const ids: number[] = [];
      for (let i = 0; i < count; i++) ids.push(this.#id(this.#names.readUInt32LE(at + 8 + i * 4)));
      return ids;
    });
  }

  /** True when some record is called `name` (not only provides it). */
  hasRecord(name: string): boolean {
    return this.#checked(() => {
      const at = this.#find(name);
      return at !== -1 && this.#names.readUInt32LE(at) > 0;
    });
  }

  /** [record id, position in its Provides] of each record providing `name`, in index order. */
  providerIds(name: string): [number, number][] {
    return this.#checked(() => {
      const at = this.#find(name);
      if (at === -1) return [];
      const real = this.#names.readUInt32LE(at);
      const count = this.#names.readUInt32LE(at + 4);
      const base = at + 8 + real * 4;
      const out: [number, number][] = [];
      for (let i = 0; i < count; i++) {
        out.push([
          this.#id(this.#names.readUInt32LE(base + i * 6)),
          this.#names.readUInt16LE(base + i * 6 + 4),
        ]);
      }
      return out;
    });
  }

  /** The fields of record `id`, as the index wrote them; CACHE_CORRUPT when its bytes fail their check. */
  fields(id: number): [string, string][] {
    return this.#checked(() => {
      const start = this.#offsets.readUInt32LE(id * 8);
      const end = this.#offsets.readUInt32LE(id * 8 + 8);
      if (end < start || end > this.header.recordsBytes)
        throw new IndexCacheInvalid("a record's bounds are wrong");
      const bytes = Buffer.alloc(end - start);
      readFully(this.#fd, bytes, HEADER_SIZE + start);
      if (crc32(bytes) !== this.#offsets.readUInt32LE(id * 8 + 4))
        throw new IndexCacheInvalid("a record fails its checksum");
      return decodeFields(bytes);
    });
  }

  /**
   * `read`, with what shows the entry is damaged (a check that fails, a table
   * that points past its end) as CACHE_CORRUPT: the CRC of the tables catches
   * damage, not a file rewritten with its CRC, which must still not reach the
   * resolver as a bug.
   */
  #checked<T>(read: () => T): T {
    try {
      return read();
    } catch (err) {
      const outOfRange =
        err instanceof RangeError && (err as NodeJS.ErrnoException).code === "ERR_OUT_OF_RANGE";
      if (!(err instanceof IndexCacheInvalid || outOfRange)) throw err;
      // Never trusted again: the next read builds the entry afresh from the verified index.
      try {
        rmSync(this.path, { force: true });
      } catch {}
      throw new CudasealError("CACHE_CORRUPT", `${this.path}: ${(err as Error).message}`, {
        hint: "the package index cache entry is damaged; it is removed, and the next read builds it again",
        details: { path: this.path, indexCache: true },
      });
    }
  }

  /** Where `name`'s entry starts in the name table, past the name; -1 when absent. */
  #find(name: string): number {
    const key = Buffer.from(name, "utf8");
    let low = 0;
    let high = this.header.names - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const at = this.#nameAt(mid);
      const end = at + 2 + this.#names.readUInt16LE(at);
      if (end > this.#names.length) throw new IndexCacheInvalid("name table runs past its end");
      const order = this.#names.compare(key, 0, key.length, at + 2, end);
      if (order === 0) return end + 8 <= this.#names.length ? end : this.#bad();
      if (order < 0) low = mid + 1;
      else high = mid - 1;
    }
    return -1;
  }

  #nameAt(i: number): number {
    const at = this.#nameIndex.readUInt32LE(i * 4);
    return at + 2 <= this.#names.length ? at : this.#bad();
  }

  #bad(): never {
    throw new IndexCacheInvalid("name table runs past its end");
  }

  #id(id: number): number {
    if (id >= this.header.records) throw new IndexCacheInvalid("record id out of range");
    return id;
  }
}

function readFully(fd: number, into: Buffer, position: number): void {
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, into.length - done, position + done);
    if (n === 0) throw new IndexCacheInvalid("truncated");
    done += n;
  }
}
