// The dynamic section of an ELF file: DT_NEEDED, DT_SONAME, DT_RPATH and
// DT_RUNPATH, read from the first bytes of the file. The string table they
// point into sits in the first loadable segment, near the start, so a
// library of hundreds of megabytes is decided from a few kilobytes: the
// parser says how many bytes it needs and the caller streams until then.
// The header's class, machine and type, and PT_INTERP, say whether and by
// which loader the file is loaded at all.

export interface ElfDynamic {
  soname?: string;
  needed: string[];
  rpath: string[];
  runpath: string[];
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const ET_EXEC = 2;
const ET_DYN = 3;
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_STRSZ = 10;
const DT_SONAME = 14;
const DT_RPATH = 15;
const DT_RUNPATH = 29;
/**
 * The dynamic section's names, all together, at most: real objects name a
 * few kilobytes, and every entry may point at the same long string.
 */
const MAX_DYNAMIC_TEXT = 1024 * 1024;

export function isElfMagic(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
}

/** The ELF header's facts that decide how the loader treats a file. */
export interface ElfHeader {
  bits: 32 | 64;
  le: boolean;
  /** e_machine (62 x86-64, 183 AArch64…). */
  machine: number;
  /** e_type: an executable, a shared object (or PIE), or something never loaded (relocatable, core). */
  type: "exec" | "dyn" | "other";
}

/** The header of an ELF file from its first 20 bytes; undefined when it is not ELF or too short. */
export function elfHeader(buf: Uint8Array): ElfHeader | undefined {
  if (buf.length < 20 || !isElfMagic(buf) || (buf[4] !== 1 && buf[4] !== 2)) return undefined;
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const le = b[5] === 1;
  const etype = le ? b.readUInt16LE(16) : b.readUInt16BE(16);
  return {
    bits: b[4] === 2 ? 64 : 32,
    le,
    machine: le ? b.readUInt16LE(18) : b.readUInt16BE(18),
    type: etype === ET_EXEC ? "exec" : etype === ET_DYN ? "dyn" : "other",
  };
}

export interface ElfLayout {
  is64: boolean;
  le: boolean;
  /** File range of PT_INTERP, when the file names a loader. */
  interp?: { offset: number; size: number };
  loads: { vaddr: number; offset: number; filesz: number }[];
  /** File range of PT_DYNAMIC; dynSize 0 when the file has none (static). */
  dynOffset: number;
  dynSize: number;
}

/** The program headers, from the start of a file. */
export function elfLayout(
  buf: Buffer,
): { kind: "layout"; layout: ElfLayout } | { kind: "not-elf" } | { kind: "need"; bytes: number } {
  if (buf.length < 64)
    return isElfMagic(buf) || buf.length < 4 ? { kind: "need", bytes: 64 } : { kind: "not-elf" };
  if (!isElfMagic(buf)) return { kind: "not-elf" };
  const is64 = buf[4] === 2;
  const le = buf[5] === 1;
  const r = reader(buf, is64, le);
  const phoff = is64 ? r.word(32) : r.u32(28);
  const phentsize = r.u16(is64 ? 54 : 42);
  const phnum = r.u16(is64 ? 56 : 44);
  const phEnd = phoff + phentsize * phnum;
  // The loader takes only whole program headers; smaller entries would be read past their table.
  if (phnum === 0 || phentsize < (is64 ? 56 : 32)) return { kind: "not-elf" };
  if (phEnd > buf.length) return { kind: "need", bytes: phEnd };
  const layout: ElfLayout = { is64, le, loads: [], dynOffset: 0, dynSize: 0 };
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    const type = r.u32(o);
    const offset = is64 ? r.word(o + 8) : r.u32(o + 4);
    const vaddr = is64 ? r.word(o + 16) : r.u32(o + 8);
    const filesz = is64 ? r.word(o + 32) : r.u32(o + 16);
    if (type === PT_LOAD) layout.loads.push({ vaddr, offset, filesz });
    if (type === PT_INTERP) layout.interp = { offset, size: filesz };
    if (type === PT_DYNAMIC) {
      layout.dynOffset = offset;
      layout.dynSize = filesz;
    }
  }
  return { kind: "layout", layout };
}

/**
 * The dynamic section's contents, given its bytes and a way to read the
 * string table it points to (undefined when those bytes are not at hand).
 */
export function readDynamic(
  layout: ElfLayout,
  dyn: Buffer,
  bytesAt: (offset: number, length: number) => Buffer | undefined,
): ElfDynamic | { need: number } | "too-large" {
  const { is64, le } = layout;
  const r = reader(dyn, is64, le);
  const entSize = is64 ? 16 : 8;
  const entries: [number, number][] = [];
  let strtab = -1;
  let strsz = 0;
  for (let o = 0; o + entSize <= dyn.length; o += entSize) {
    const tag = is64 ? r.word(o) : r.u32(o);
    const val = is64 ? r.word(o + 8) : r.u32(o + 4);
    if (tag === DT_NULL) break;
    if (tag === DT_STRTAB) strtab = val;
    else if (tag === DT_STRSZ) strsz = val;
    else entries.push([tag, val]);
  }
  const dynamic: ElfDynamic = { needed: [], rpath: [], runpath: [] };
  if (strtab < 0) return dynamic;
  const seg = layout.loads.find((l) => strtab >= l.vaddr && strtab < l.vaddr + l.filesz);
  if (!seg) return dynamic;
  const strOffset = strtab - seg.vaddr + seg.offset;
  const table = bytesAt(strOffset, strsz);
  if (!table) return { need: strOffset + strsz };
  let text = 0;
  const str = (v: number) => {
    const end = table.indexOf(0, v);
    const to = end < 0 ? table.length : end;
    text += Math.max(0, to - v);
    return table.toString("utf8", v, to);
  };
  for (const [tag, val] of entries) {
    if (text > MAX_DYNAMIC_TEXT) return "too-large";
    if (tag === DT_NEEDED) dynamic.needed.push(str(val));
    else if (tag === DT_SONAME) dynamic.soname = str(val);
    else if (tag === DT_RPATH) dynamic.rpath.push(...str(val).split(":").filter(Boolean));
    else if (tag === DT_RUNPATH) dynamic.runpath.push(...str(val).split(":").filter(Boolean));
  }
  return text > MAX_DYNAMIC_TEXT ? "too-large" : dynamic;
}

/** The loader PT_INTERP names, from its bytes (NUL-terminated). */
export function interpreterName(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.toString("utf8", 0, end < 0 ? bytes.length : end);
}

function reader(buf: Buffer, is64: boolean, le: boolean) {
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const word = (o: number) => (is64 ? Number(le ? buf.readBigUInt64LE(o) : buf.readBigUInt64BE(o)) : u32(o));
  return { u16, u32, word };
}
