// The 512-byte tar header, both ways.
//
// Layout (offsets in bytes): name 0+100, mode 100+8, uid 108+8, gid 116+8,
// size 124+12, mtime 136+12, checksum 148+8, typeflag 156, linkname 157+100,
// magic 257+6, version 263+2, uname 265+32, gname 297+32, devmajor 329+8,
// devminor 337+8, prefix 345+155 (POSIX ustar only: GNU keeps atime and
// ctime there). Numbers are octal text, or GNU base-256 when the top bit of
// the first byte is set. The checksum is the byte sum of the block with the
// checksum field read as spaces; old writers summed signed bytes, so both
// sums are accepted.
//
// Names that do not fit come before the entry in their own pseudo-entries:
// PAX `x` (this entry) and `g` (all later ones) hold `<len> <key>=<value>\n`
// records; GNU `L` and `K` hold a long name or link name. Encoding writes a
// PAX header only when ustar cannot hold a field, so equal entries give
// equal bytes.

import { CudasealError } from "../errors.ts";

export const BLOCK = 512;

export type TarType =
  | "file"
  | "hardlink"
  | "symlink"
  | "chardev"
  | "blockdev"
  | "directory"
  | "fifo"
  | "pax"
  | "pax-global"
  | "gnu-longname"
  | "gnu-longlink"
  | "other";

/** Which header dialect a block is written in, from its magic. */
export type HeaderFormat = "ustar" | "gnu" | "v7";

/** One header block, decoded but not yet merged with PAX or GNU long names (`typeflag` kept for messages about unknown types). */
export interface RawHeader extends HeaderFields {
  type: TarType;
  format: HeaderFormat;
}

const TYPES: Record<string, TarType> = {
  "0": "file",
  "\0": "file",
  // Contiguous files are plain files everywhere but on one long-gone system.
  "7": "file",
  "1": "hardlink",
  "2": "symlink",
  "3": "chardev",
  "4": "blockdev",
  "5": "directory",
  "6": "fifo",
  x: "pax",
  g: "pax-global",
  L: "gnu-longname",
  K: "gnu-longlink",
};

function cstring(block: Buffer, start: number, length: number): string {
  const nul = block.indexOf(0, start);
  const end = nul >= 0 && nul < start + length ? nul : start + length;
  return block.toString("utf8", start, end);
}

/** A numeric field: octal text, or GNU base-256 (big-endian two's complement behind a flag bit). */
function number(block: Buffer, start: number, length: number, field: string): number {
  const first = block[start];
  if (first & 0x80) {
    let value = BigInt(first & 0x7f);
    for (let i = start + 1; i < start + length; i++) value = (value << 8n) | BigInt(block[i]);
    // Bit 6 of the first byte is the sign: 0xff… is negative.
    if (first & 0x40) value -= 1n << BigInt(length * 8 - 1);
    const n = Number(value);
    if (!Number.isSafeInteger(n)) {
      throw new CudasealError("TAR_INVALID", `tar header field ${field} is out of range`, {
        details: { field },
      });
    }
    return n;
  }
  let from = start;
  let to = start + length;
  while (from < to && (block[from] === 0x20 || block[from] === 0)) from++;
  // The field ends at the first NUL or space after the digits.
  let end = from;
  while (end < to && block[end] >= 0x30 && block[end] <= 0x37) end++;
  for (let i = end; i < to; i++) {
    if (block[i] !== 0 && block[i] !== 0x20) {
      throw new CudasealError("TAR_INVALID", `tar header field ${field} is not an octal number`, {
        details: { field },
      });
    }
  }
  to = end;
  if (from === to) return 0;
  return Number.parseInt(block.toString("latin1", from, to), 8);
}

/** True for an all-zero block (the end-of-archive marker). */
export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

/** Decode one header block; throws TAR_INVALID on a bad checksum or field. */
export function parseHeader(block: Buffer): RawHeader {
  if (block.length !== BLOCK) throw new CudasealError("TAR_INVALID", "tar header is not 512 bytes");
  const stored = number(block, 148, 8, "checksum");
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i];
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  if (stored !== unsigned && stored !== signed) {
    throw new CudasealError("TAR_INVALID", "tar header checksum does not match", {
      hint: "the archive is corrupt or not a tar",
      details: { stored, computed: unsigned },
    });
  }
  const magic = block.toString("latin1", 257, 263);
  const format: HeaderFormat = magic === "ustar\0" ? "ustar" : magic === "ustar " ? "gnu" : "v7";
  let name = cstring(block, 0, 100);
  if (format === "ustar") {
    const prefix = cstring(block, 345, 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  const typeflag = String.fromCharCode(block[156]);
  // Only a date may be negative (base-256 allows it everywhere).
  const nonNegative = (start: number, length: number, field: string) => {
    const n = number(block, start, length, field);
    if (n < 0) {
      throw new CudasealError("TAR_INVALID", `tar header field ${field} is negative`, { details: { field } });
    }
    return n;
  };
  return {
    name,
    mode: nonNegative(100, 8, "mode"),
    uid: nonNegative(108, 8, "uid"),
    gid: nonNegative(116, 8, "gid"),
    size: nonNegative(124, 12, "size"),
    mtime: number(block, 136, 12, "mtime"),
    type: TYPES[typeflag] ?? "other",
    typeflag,
    linkname: cstring(block, 157, 100),
    format,
  };
}

/**
 * PAX records, `<len> <key>=<value>\n` each, `<len>` counting the whole
 * record. An empty value deletes the key (POSIX), kept here as "" for the
 * merge to act on.
 */
export function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    // Writers pad the data with NULs to the block; nothing follows them.
    if (data[pos] === 0) break;
    const space = data.indexOf(0x20, pos);
    const lenText = space > pos && space - pos <= 12 ? data.toString("latin1", pos, space) : "";
    const len = /^[0-9]+$/.test(lenText) ? Number(lenText) : Number.NaN;
    if (
      !Number.isSafeInteger(len) ||
      len <= space - pos + 1 ||
      pos + len > data.length ||
      data[pos + len - 1] !== 0x0a
    ) {
      throw new CudasealError("TAR_INVALID", "malformed PAX extended header record", {
        details: { offset: pos },
      });
    }
    const record = data.toString("utf8", space + 1, pos + len - 1);
    const eq = record.indexOf("=");
    if (eq <= 0) {
      throw new CudasealError("TAR_INVALID", "PAX record has no key", { details: { offset: pos } });
    }
    out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return out;
}

/** The fields the writer puts in a header: everything else is zero or empty. */
export interface HeaderFields {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
}

// Largest values the octal fields hold: 7 digits for ids, 11 for size and mtime.
const MAX_ID = 0o7777777;
const MAX_BIG = 0o77777777777;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

function writeOctal(block: Buffer, value: number, start: number, length: number): void {
  block.write(value.toString(8).padStart(length - 1, "0"), start, length - 1, "latin1");
  block[start + length - 1] = 0;
}

/** Split a path into ustar's prefix and name where it fits: name ≤ 100 bytes, prefix ≤ 155, cut at a slash. */
function splitPath(path: string): [prefix: string, name: string] | undefined {
  if (path.length <= 100) return ["", path];
  // The longest name that fits leaves the shortest prefix: cut at the first
  // slash from which the rest is at most 100 bytes.
  const from = path.length - 101;
  for (let i = Math.max(0, from); i < path.length - 1; i++) {
    if (path[i] !== "/") continue;
    if (i > 155) return undefined;
    return [path.slice(0, i), path.slice(i + 1)];
  }
  return undefined;
}

function paxRecords(records: [string, string][]): Buffer {
  const parts = records.map(([key, value]) => {
    const rest = Buffer.byteLength(` ${key}=${value}\n`);
    // The length counts its own digits: grow it until it does.
    let len = rest + String(rest).length;
    if (String(len).length + rest !== len) len = rest + String(len).length;
    return `${len} ${key}=${value}\n`;
  });
  return Buffer.from(parts.join(""), "utf8");
}

function ustarBlock(h: HeaderFields, prefix: string): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(h.name, 0, 100, "utf8");
  writeOctal(b, h.mode, 100, 8);
  writeOctal(b, h.uid, 108, 8);
  writeOctal(b, h.gid, 116, 8);
  writeOctal(b, h.size, 124, 12);
  writeOctal(b, h.mtime, 136, 12);
  b.write(h.typeflag, 156, 1, "latin1");
  b.write(h.linkname, 157, 100, "utf8");
  b.write("ustar\u000000", 257, 8, "latin1");
  writeOctal(b, 0, 329, 8);
  writeOctal(b, 0, 337, 8);
  b.write(prefix, 345, 155, "utf8");
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i];
  // "%06o\0 ", as GNU tar and POSIX write it.
  writeOctal(b, sum, 148, 7);
  b[155] = 0x20;
  return b;
}

/** The header block(s) of an entry: a PAX header first only where ustar cannot hold a field. */
export function encodeHeader(h: HeaderFields): Buffer {
  const records: [string, string][] = [];
  const split = PRINTABLE_ASCII.test(h.name) ? splitPath(h.name) : undefined;
  if (!split) records.push(["path", h.name]);
  const longLink = h.linkname.length > 100 || !PRINTABLE_ASCII.test(h.linkname);
  if (longLink) records.push(["linkpath", h.linkname]);
  if (h.size > MAX_BIG) records.push(["size", String(h.size)]);
  if (h.uid > MAX_ID) records.push(["uid", String(h.uid)]);
  if (h.gid > MAX_ID) records.push(["gid", String(h.gid)]);
  const mtimeFits = h.mtime >= 0 && h.mtime <= MAX_BIG;
  if (!mtimeFits) records.push(["mtime", String(h.mtime)]);
  const [prefix, name] = split ?? ["", asciiStandIn(h.name)];
  const main = ustarBlock(
    {
      ...h,
      name,
      linkname: longLink ? asciiStandIn(h.linkname) : h.linkname,
      size: h.size > MAX_BIG ? 0 : h.size,
      uid: h.uid > MAX_ID ? 0 : h.uid,
      gid: h.gid > MAX_ID ? 0 : h.gid,
      mtime: mtimeFits ? h.mtime : 0,
    },
    prefix,
  );
  if (records.length === 0) return main;
  const data = paxRecords(records);
  const base = h.name.replace(/\/+$/, "").split("/").pop() ?? "";
  const paxHeader = ustarBlock(
    {
      name: asciiStandIn(`PaxHeaders/${base}`),
      mode: 0o644,
      uid: 0,
      gid: 0,
      size: data.length,
      mtime: 0,
      typeflag: "x",
      linkname: "",
    },
    "",
  );
  return Buffer.concat([paxHeader, data, Buffer.alloc(padding(data.length)), main]);
}

/** Bytes of zeros that bring `size` up to a whole block. */
export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/**
 * What goes in a ustar field whose real value is in the PAX header: readers
 * that know PAX ignore it, and for the others it stays printable ASCII.
 */
function asciiStandIn(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, "_").slice(0, 100);
}
