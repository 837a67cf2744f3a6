// /etc/ld.so.cache in glibc's format (sysdeps/generic/dl-cache.h), written
// as glibc 2.36 to 2.41 ldconfig writes it with its default `-c new`: a
// 48-byte header ("glibc-ld.so.cache1.1", little-endian flag), 24-byte
// entries in the loader's search order, the tail-merged string table, then
// at a 4-byte boundary the extension directory: the generator string and,
// when an entry comes from a glibc-hwcaps subdirectory, the sorted table of
// those subdirectories' names.
// Offsets in entries count from the start of the file. The same tree gives
// the same bytes. parseLdCache reads any such cache (also the old format's
// compat prefix) as hostile input: every count and offset is checked.

import { CudasealError } from "../errors.ts";
import { type LdCacheEntry, type LibraryScan, type ScanOptions, scanLibraries } from "./library-scan.ts";
import { buildStringTable } from "./string-table.ts";
import type { ImageTree } from "./types.ts";

const MAGIC_NEW = "glibc-ld.so.cache1.1";
const MAGIC_OLD = "ld.so-1.7.0";
const HEADER_SIZE = 48;
const ENTRY_SIZE = 24;
const OLD_HEADER_SIZE = 16;
const OLD_ENTRY_SIZE = 12;
const FLAGS_ENDIAN_LITTLE = 2;
const EXTENSION_MAGIC = 0xeaa42174;
const EXTENSION_TAG_GENERATOR = 0;
const EXTENSION_TAG_HWCAPS = 1;
/** Extension sections read, at most (glibc knows two kinds). */
const MAX_EXTENSION_SECTIONS = 64;

/** What the cache's generator section says when the caller names no other. */
export const DEFAULT_GENERATOR = "cudaseal";

export interface LdCacheOptions extends ScanOptions {
  /** The extension section's generator string (ldconfig writes its own name and version). */
  generator?: string;
}

export interface LdCache extends LibraryScan {
  /** The bytes of /etc/ld.so.cache. */
  bytes: Buffer;
}

/** ldconfig's work on the tree without changing it: the cache's bytes, its entries and the soname links to add. */
export function buildLdCache(tree: ImageTree, options: LdCacheOptions = {}): LdCache {
  const scan = scanLibraries(tree, options);
  const bytes = encodeLdCache(scan.entries, {
    generator: options.generator,
    hwcaps: scan.hwcaps,
    strings: scan.hwcapsSeen,
  });
  return { ...scan, bytes };
}

export interface EncodeOptions {
  generator?: string;
  /** glibc-hwcaps subdirectory names in index order (the index in an entry's hwcap). */
  hwcaps?: readonly string[];
  /** Further strings ldconfig interns (every glibc-hwcaps name it met, used or not). */
  strings?: readonly string[];
}

/** The cache file for entries already in the cache's order. */
export function encodeLdCache(entries: readonly LdCacheEntry[], options: EncodeOptions = {}): Buffer {
  const hwcaps = options.hwcaps ?? [];
  const strings = buildStringTable([
    ...entries.flatMap((e) => [e.path, e.soname]),
    ...hwcaps,
    ...(options.strings ?? []),
  ]);
  const stringsAt = HEADER_SIZE + entries.length * ENTRY_SIZE;
  const extensionAt = align4(stringsAt + strings.bytes.length);
  const gen = Buffer.from(options.generator ?? DEFAULT_GENERATOR, "utf8");
  // ldconfig writes the generator section first, the glibc-hwcaps one only when used,
  // then the name indices and the generator string after the directory.
  const sections = hwcaps.length > 0 ? 2 : 1;
  const hwcapsAt = extensionAt + 8 + 16 * sections;
  const generatorAt = hwcapsAt + 4 * hwcaps.length;
  const out = Buffer.alloc(generatorAt + gen.length);
  out.write(MAGIC_NEW, 0, "latin1");
  out.writeUInt32LE(entries.length, 20);
  out.writeUInt32LE(strings.bytes.length, 24);
  out[28] = FLAGS_ENDIAN_LITTLE;
  out.writeUInt32LE(extensionAt, 32);
  entries.forEach((e, i) => {
    const at = HEADER_SIZE + i * ENTRY_SIZE;
    out.writeInt32LE(e.flags, at);
    out.writeUInt32LE(stringsAt + (strings.offsets.get(e.soname) as number), at + 4);
    out.writeUInt32LE(stringsAt + (strings.offsets.get(e.path) as number), at + 8);
    out.writeUInt32LE(0, at + 12);
    out.writeBigUInt64LE(e.hwcap, at + 16);
  });
  strings.bytes.copy(out, stringsAt);
  out.writeUInt32LE(EXTENSION_MAGIC, extensionAt);
  out.writeUInt32LE(sections, extensionAt + 4);
  writeSection(out, extensionAt + 8, EXTENSION_TAG_GENERATOR, generatorAt, gen.length);
  if (hwcaps.length > 0) {
    writeSection(out, extensionAt + 24, EXTENSION_TAG_HWCAPS, hwcapsAt, 4 * hwcaps.length);
    hwcaps.forEach((name, i) => {
      out.writeUInt32LE(stringsAt + (strings.offsets.get(name) as number), hwcapsAt + 4 * i);
    });
  }
  gen.copy(out, generatorAt);
  return out;
}

function writeSection(out: Buffer, at: number, tag: number, offset: number, size: number): void {
  out.writeUInt32LE(tag, at);
  out.writeUInt32LE(0, at + 4);
  out.writeUInt32LE(offset, at + 8);
  out.writeUInt32LE(size, at + 12);
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

export interface ParsedLdCache {
  entries: LdCacheEntry[];
  /** The generator section's text, when there is one. */
  generator?: string;
  /** glibc-hwcaps subdirectory names, when the cache has that section. */
  hwcaps?: string[];
}

function invalid(message: string, details?: Record<string, unknown>): CudasealError {
  return new CudasealError("IMAGE_INVALID", `ld.so.cache: ${message}`, {
    hint: "the image's /etc/ld.so.cache is damaged or not glibc's; rebuild it with ldconfig or let cudaseal write it",
    details,
  });
}

/** Read a cache file's entries and extensions; a damaged or hostile file is IMAGE_INVALID, never a RangeError. */
export function parseLdCache(bytes: Uint8Array): ParsedLdCache {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let base = 0;
  if (buf.length >= MAGIC_OLD.length && buf.toString("latin1", 0, MAGIC_OLD.length) === MAGIC_OLD) {
    if (buf.length < OLD_HEADER_SIZE) throw invalid("truncated old-format header");
    const oldCount = buf.readUInt32LE(12);
    if (oldCount > (buf.length - OLD_HEADER_SIZE) / OLD_ENTRY_SIZE)
      throw invalid("old-format entry count past the end");
    // The new format follows the old one, 8-byte aligned; its offsets count from there.
    base = (OLD_HEADER_SIZE + oldCount * OLD_ENTRY_SIZE + 7) & ~7;
  }
  if (buf.length - base < HEADER_SIZE) throw invalid("truncated header", { size: buf.length });
  if (buf.toString("latin1", base, base + MAGIC_NEW.length) !== MAGIC_NEW)
    throw invalid("not a glibc-ld.so.cache1.1 file");
  const flags = buf[base + 28] & 3;
  if (flags === 1 || flags === 3) throw invalid("not a little-endian cache");
  const count = buf.readUInt32LE(base + 20);
  const stringsLength = buf.readUInt32LE(base + 24);
  const region = buf.subarray(base);
  if (count > (region.length - HEADER_SIZE) / ENTRY_SIZE)
    throw invalid("entry count past the end", { count });
  const stringsAt = HEADER_SIZE + count * ENTRY_SIZE;
  if (stringsLength > region.length - stringsAt)
    throw invalid("string table past the end", { stringsLength });
  const str = (offset: number, what: string) => {
    if (offset >= region.length) throw invalid(`${what} offset ${offset} past the end`);
    const end = region.indexOf(0, offset);
    if (end < 0) throw invalid(`${what} at ${offset} is not terminated`);
    return region.toString("utf8", offset, end);
  };
  const entries: LdCacheEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = HEADER_SIZE + i * ENTRY_SIZE;
    entries.push({
      flags: region.readInt32LE(at),
      soname: str(region.readUInt32LE(at + 4), "name"),
      path: str(region.readUInt32LE(at + 8), "path"),
      hwcap: region.readBigUInt64LE(at + 16),
    });
  }
  return { entries, ...readExtensions(region, region.readUInt32LE(32), str) };
}

function readExtensions(
  region: Buffer,
  at: number,
  str: (offset: number, what: string) => string,
): { generator?: string; hwcaps?: string[] } {
  // glibc writes no extensions in a compat-format file, and older ones none at all.
  if (at === 0 || at % 4 !== 0 || at + 8 > region.length || region.readUInt32LE(at) !== EXTENSION_MAGIC)
    return {};
  const count = region.readUInt32LE(at + 4);
  if (count > MAX_EXTENSION_SECTIONS || count > (region.length - at - 8) / 16)
    throw invalid("extension directory past the end", { count });
  const out: { generator?: string; hwcaps?: string[] } = {};
  for (let i = 0; i < count; i++) {
    const s = at + 8 + i * 16;
    const tag = region.readUInt32LE(s);
    const offset = region.readUInt32LE(s + 8);
    const size = region.readUInt32LE(s + 12);
    if (offset > region.length || size > region.length - offset)
      throw invalid("extension section past the end", { tag });
    if (tag === EXTENSION_TAG_GENERATOR) out.generator = region.toString("utf8", offset, offset + size);
    else if (tag === EXTENSION_TAG_HWCAPS) {
      if (size % 4 !== 0 || offset % 4 !== 0) throw invalid("misaligned glibc-hwcaps section");
      out.hwcaps = [];
      for (let o = offset; o < offset + size; o += 4)
        out.hwcaps.push(str(region.readUInt32LE(o), "glibc-hwcaps name"));
    }
  }
  return out;
}
