// The dynamic section of an ELF file: DT_NEEDED, DT_SONAME, DT_RPATH and
// DT_RUNPATH, read from the first bytes of the file. The string table they
// point into sits in the first loadable segment, near the start, so a
// library of hundreds of megabytes is decided from a few kilobytes: the
// parser says how many bytes it needs and the caller streams until then.

export interface ElfDynamic {
  soname?: string;
  needed: string[];
  rpath: string[];
  runpath: string[];
}

export type ElfParse =
  | { kind: "elf"; dynamic: ElfDynamic }
  | { kind: "not-elf" }
  /** Give me at least this many bytes of the file. */
  | { kind: "need"; bytes: number };

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_STRSZ = 10;
const DT_SONAME = 14;
const DT_RPATH = 15;
const DT_RUNPATH = 29;

export function isElfMagic(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
}

/** Parse what `buf` (the start of a file) holds; static executables give an empty dynamic section. */
export function parseElf(buf: Buffer): ElfParse {
  if (buf.length < 64)
    return isElfMagic(buf) || buf.length < 4 ? { kind: "need", bytes: 64 } : { kind: "not-elf" };
  if (!isElfMagic(buf)) return { kind: "not-elf" };
  const is64 = buf[4] === 2;
  const le = buf[5] === 1;
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const word = (o: number) => (is64 ? Number(le ? buf.readBigUInt64LE(o) : buf.readBigUInt64BE(o)) : u32(o));
  const phoff = is64 ? word(32) : u32(28);
  const phentsize = u16(is64 ? 54 : 42);
  const phnum = u16(is64 ? 56 : 44);
  const phEnd = phoff + phentsize * phnum;
  if (phnum === 0 || phentsize === 0) return { kind: "not-elf" };
  if (phEnd > buf.length) return { kind: "need", bytes: phEnd };
  const loads: { vaddr: number; offset: number; filesz: number }[] = [];
  let dynOffset = -1;
  let dynSize = 0;
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    const type = u32(o);
    const offset = is64 ? word(o + 8) : u32(o + 4);
    const vaddr = is64 ? word(o + 16) : u32(o + 8);
    const filesz = is64 ? word(o + 32) : u32(o + 16);
    if (type === PT_LOAD) loads.push({ vaddr, offset, filesz });
    if (type === PT_DYNAMIC) {
      dynOffset = offset;
      dynSize = filesz;
    }
  }
  const empty: ElfDynamic = { needed: [], rpath: [], runpath: [] };
  if (dynOffset < 0) return { kind: "elf", dynamic: empty };
  if (dynOffset + dynSize > buf.length) return { kind: "need", bytes: dynOffset + dynSize };
  const entSize = is64 ? 16 : 8;
  const entries: [number, number][] = [];
  let strtab = -1;
  let strsz = 0;
  for (let o = dynOffset; o + entSize <= dynOffset + dynSize; o += entSize) {
    const tag = is64 ? word(o) : u32(o);
    const val = is64 ? word(o + 8) : u32(o + 4);
    if (tag === DT_NULL) break;
    if (tag === DT_STRTAB) strtab = val;
    else if (tag === DT_STRSZ) strsz = val;
    else entries.push([tag, val]);
  }
  if (strtab < 0) return { kind: "elf", dynamic: empty };
  const seg = loads.find((l) => strtab >= l.vaddr && strtab < l.vaddr + l.filesz);
  if (!seg) return { kind: "elf", dynamic: empty };
  const strOffset = strtab - seg.vaddr + seg.offset;
  if (strOffset + strsz > buf.length) return { kind: "need", bytes: strOffset + strsz };
  const str = (v: number) => {
    const start = strOffset + v;
    const end = buf.indexOf(0, start);
    return buf.toString("utf8", start, end < 0 ? strOffset + strsz : end);
  };
  const dynamic: ElfDynamic = { needed: [], rpath: [], runpath: [] };
  for (const [tag, val] of entries) {
    if (tag === DT_NEEDED) dynamic.needed.push(str(val));
    else if (tag === DT_SONAME) dynamic.soname = str(val);
    else if (tag === DT_RPATH) dynamic.rpath.push(...str(val).split(":").filter(Boolean));
    else if (tag === DT_RUNPATH) dynamic.runpath.push(...str(val).split(":").filter(Boolean));
  }
  return { kind: "elf", dynamic };
}
