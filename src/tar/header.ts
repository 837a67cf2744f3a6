// The 512-byte tar header: ustar fields, GNU base-256 numbers, and PAX
// extended records. Parsing checks the checksum; encoding writes only what
// the entry needs, so equal entries give equal bytes.

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

export interface RawHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  type: TarType;
  typeflag: string;
  linkname: string;
}

const TYPES: Record<string, TarType> = {
  "0": "file",
  "\0": "file",
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
  const end = block.indexOf(0, start);
  return block.toString("utf8", start, end >= 0 && end < start + length ? end : start + length);
}

function number(block: Buffer, start: number, length: number, field: string): number {
  if (block[start] & 0x80) {
    // GNU base-256: big-endian two's complement with the top bit as a flag.
    let value = 0;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + block[i];
    if (block[start] & 0x40 || !Number.isSafeInteger(value)) {
      throw new CudasealError("TAR_INVALID", `tar header field ${field} is out of range`);
    }
    return value + (block[start] & 0x3f) * 256 ** (length - 1);
  }
  const text = block
    .toString("latin1", start, start + length)
    .replace(/[\0 ]+$/, "")
    .replace(/^[ \0]+/, "");
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text))
    throw new CudasealError("TAR_INVALID", `tar header field ${field} is not a number`);
  return Number.parseInt(text, 8);
}

/** True for an all-zero block (the end-of-archive marker). */
export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

export function parseHeader(block: Buffer): RawHeader {
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
    });
  }
  const typeflag = String.fromCharCode(block[156]);
  let name = cstring(block, 0, 100);
  const ustar = block.toString("latin1", 257, 262) === "ustar";
  if (ustar) {
    const prefix = cstring(block, 345, 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  return {
    name,
    mode: number(block, 100, 8, "mode"),
    uid: number(block, 108, 8, "uid"),
    gid: number(block, 116, 8, "gid"),
    size: number(block, 124, 12, "size"),
    mtime: number(block, 136, 12, "mtime"),
    type: TYPES[typeflag] ?? "other",
    typeflag,
    linkname: cstring(block, 157, 100),
  };
}

/** PAX records: `<len> <key>=<value>\n`. */
export function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space < 0) break;
    const len = Number(data.toString("latin1", pos, space));
    if (!Number.isInteger(len) || len <= 0 || pos + len > data.length) {
      throw new CudasealError("TAR_INVALID", "malformed PAX extended header");
    }
    const record = data.toString("utf8", space + 1, pos + len - 1);
    const eq = record.indexOf("=");
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return out;
}

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

function writeOctal(block: Buffer, value: number, start: number, length: number): boolean {
  const text = value.toString(8);
  if (text.length > length - 1) return false;
  block.write(text.padStart(length - 1, "0"), start, "latin1");
  block[start + length - 1] = 0;
  return true;
}

const ASCII = /^[\x20-\x7e]*$/;

/** Split a long path into ustar's prefix and name, if it fits. */
function splitPath(path: string): [string, string] | undefined {
  if (Buffer.byteLength(path) <= 100) return ["", path];
  for (let i = path.length - 1; i > 0; i--) {
    if (path[i] !== "/") continue;
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (prefix.length <= 155 && name.length <= 100 && name.length > 0) return [prefix, name];
    if (prefix.length <= 155) return undefined;
  }
  return undefined;
}

function pax(records: [string, string][]): Buffer {
  const parts = records.map(([key, value]) => {
    const body = ` ${key}=${value}\n`;
    let len = Buffer.byteLength(body) + 1;
    while (String(len).length + Buffer.byteLength(body) !== len)
      len = String(len).length + Buffer.byteLength(body);
    return `${len}${body}`;
  });
  return Buffer.from(parts.join(""));
}

function block(h: HeaderFields, prefix: string): Buffer {
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
  writeOctal(b, sum, 148, 7);
  b[155] = 0x20;
  return b;
}

/** The header block(s) for an entry: a PAX header first only where ustar cannot hold a field. */
export function encodeHeader(h: HeaderFields): Buffer {
  const records: [string, string][] = [];
  const split = ASCII.test(h.name) ? splitPath(h.name) : undefined;
  if (!split) records.push(["path", h.name]);
  if (Buffer.byteLength(h.linkname) > 100 || !ASCII.test(h.linkname)) records.push(["linkpath", h.linkname]);
  if (h.size > 0o77777777777) records.push(["size", String(h.size)]);
  if (h.uid > 0o7777777) records.push(["uid", String(h.uid)]);
  if (h.gid > 0o7777777) records.push(["gid", String(h.gid)]);
  if (h.mtime > 0o77777777777 || h.mtime < 0) records.push(["mtime", String(h.mtime)]);
  const [prefix, name] = split ?? ["", truncateBytes(h.name, 100)];
  const main = block(
    {
      ...h,
      name,
      linkname: records.some(([k]) => k === "linkpath") ? truncateBytes(h.linkname, 100) : h.linkname,
      size: h.size > 0o77777777777 ? 0 : h.size,
      uid: h.uid > 0o7777777 ? 0 : h.uid,
      gid: h.gid > 0o7777777 ? 0 : h.gid,
      mtime: h.mtime > 0o77777777777 || h.mtime < 0 ? 0 : h.mtime,
    },
    prefix,
  );
  if (records.length === 0) return main;
  const data = pax(records);
  const paxHeader = block(
    {
      name: truncateBytes(`PaxHeaders/${h.name.replace(/\/$/, "").split("/").pop()}`, 100),
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

export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

function truncateBytes(text: string, max: number): string {
  const bytes = Buffer.from(text);
  if (bytes.length <= max) return text;
  return bytes
    .subarray(0, max)
    .toString("utf8")
    .replace(/\uFFFD+$/, "");
}
