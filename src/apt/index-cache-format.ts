// The compact form of one Packages index for one architecture, as apt's
// pkgcache.bin is to its lists: written once from the signed index, then read
// without parsing any index text. A warm resolve opens it, reads its name
// table, and decodes only the records the resolver asks for.
//
// Layout (all integers little-endian):
//
//   0      header, HEADER_SIZE bytes: MAGIC, u32 FORMAT_VERSION, u32 n, then n
//          bytes of JSON (Header below), zero padded
//   4096   records: per record u16 field count, then per field u16 name
//          length, name, u32 value length, value (UTF-8, deb822-decoded)
//          offsets: per record its start in the records section and the
//          CRC-32 of its bytes (u32 each), then the section's end and 0
//          name index: per name its start in the name table (u32)
//          name table: per name, sorted by bytes, u16 length, name, u32 real
//          count, u32 provider count, a u32 record id per real record, then a
//          u32 record id and u16 Provides position per provider
//
// The header names the signed SHA256 of the index it was built from, the
// architecture, each section's length and the CRC-32 of the three tables. A
// warm read touches the tables and the few records asked for, never the
// whole file: opening refuses (IndexCacheInvalid) an entry that is short or
// long, for another index or architecture, of another format version, or
// whose tables fail their check; a record is checked against its own CRC-32
// as it is read (a mismatch is CACHE_CORRUPT, and the entry is rebuilt). The
// checks are against damage: anyone able to write the cache folder could
// rewrite a stronger hash as easily, so a CRC costs less for the same trust.
//
// Nothing about the repository (URI, suite, priority, pins) is stored: one
// entry serves every source that names the same signed index.

export const MAGIC = Buffer.from("CSPKGIX\n", "latin1");
export const FORMAT_VERSION = 1;
export const HEADER_SIZE = 4096;

/** What the header's JSON holds. */
export interface Header {
  /** SHA256 of the Packages file (as signed in the Release) this was built from. */
  source: string;
  arch: string;
  records: number;
  names: number;
  recordsBytes: number;
  offsetsBytes: number;
  nameIndexBytes: number;
  namesBytes: number;
  /** CRC-32 of the offsets, the name index and the name table, in that order. */
  tables: number;
}

/** Why an entry cannot be used; the reader's caller removes and rebuilds it. */
export class IndexCacheInvalid extends Error {}

/** The bytes encodeFieldsInto will write for `fields`. */
export function encodedSize(fields: readonly (readonly [string, string])[]): number {
  let size = 2;
  for (const [name, value] of fields)
    size += 6 + Buffer.byteLength(name, "utf8") + Buffer.byteLength(value, "utf8");
  return size;
}

/** Write a record's fields into `out` at `at`, as the records section stores them; returns the end. */
export function encodeFieldsInto(
  fields: readonly (readonly [string, string])[],
  out: Buffer,
  at: number,
): number {
  at = out.writeUInt16LE(fields.length, at);
  for (const [name, value] of fields) {
    const n = out.write(name, at + 2, "utf8");
    out.writeUInt16LE(n, at);
    at += 2 + n;
    const v = out.write(value, at + 4, "utf8");
    out.writeUInt32LE(v, at);
    at += 4 + v;
  }
  return at;
}

/** The fields of one record; throws IndexCacheInvalid when they run past `bytes`. */
export function decodeFields(bytes: Buffer): [string, string][] {
  const need = (at: number, n: number) => {
    if (at + n > bytes.length) throw new IndexCacheInvalid("a record runs past its end");
  };
  need(0, 2);
  const count = bytes.readUInt16LE(0);
  const fields: [string, string][] = [];
  let at = 2;
  for (let i = 0; i < count; i++) {
    need(at, 2);
    const nameLength = bytes.readUInt16LE(at);
    need(at + 2, nameLength + 4);
    const name = bytes.toString("utf8", at + 2, at + 2 + nameLength);
    at += 2 + nameLength;
    const valueLength = bytes.readUInt32LE(at);
    need(at + 4, valueLength);
    fields.push([name, bytes.toString("utf8", at + 4, at + 4 + valueLength)]);
    at += 4 + valueLength;
  }
  return fields;
}

/** The header block for `header`. */
export function encodeHeader(header: Header): Buffer {
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const out = Buffer.alloc(HEADER_SIZE);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(FORMAT_VERSION, MAGIC.length);
  out.writeUInt32LE(json.length, MAGIC.length + 4);
  json.copy(out, MAGIC.length + 8);
  return out;
}

/** The header of an entry expected to hold `source` for `arch`; throws IndexCacheInvalid otherwise. */
export function decodeHeader(block: Buffer, source: string, arch: string): Header {
  if (block.length < HEADER_SIZE || !block.subarray(0, MAGIC.length).equals(MAGIC))
    throw new IndexCacheInvalid("not a package index cache file");
  const version = block.readUInt32LE(MAGIC.length);
  if (version !== FORMAT_VERSION)
    throw new IndexCacheInvalid(`format version ${version}, not ${FORMAT_VERSION}`);
  const length = block.readUInt32LE(MAGIC.length + 4);
  if (length > HEADER_SIZE - MAGIC.length - 8) throw new IndexCacheInvalid("header too long");
  let header: Header;
  try {
    header = JSON.parse(block.toString("utf8", MAGIC.length + 8, MAGIC.length + 8 + length)) as Header;
  } catch {
    throw new IndexCacheInvalid("unreadable header");
  }
  if (header.source !== source || header.arch !== arch)
    throw new IndexCacheInvalid(`built from another index (${header.source} ${header.arch})`);
  const counts = [
    header.records,
    header.names,
    header.recordsBytes,
    header.offsetsBytes,
    header.nameIndexBytes,
    header.namesBytes,
    header.tables,
  ];
  if (
    !counts.every((n) => Number.isSafeInteger(n) && n >= 0) ||
    header.offsetsBytes !== (header.records + 1) * 8 ||
    header.nameIndexBytes !== header.names * 4
  )
    throw new IndexCacheInvalid("malformed header");
  return header;
}
