// The streaming ELF reader on gcc's output, fed in small chunks as a layer
// streams it: header facts, PT_INTERP and the dynamic section, and the
// files the loader never maps.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, test } from "node:test";
import { ElfStreamReader, type ElfVerdict, readElfFile } from "../../src/trim/elf-stream.ts";

let dir: string;

async function* chunks(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

function read(file: string, size = 7): Promise<ElfVerdict> {
  return readElfFile(chunks(readFileSync(join(dir, file)), size));
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), "cudaseal-elfstream-"));
  writeFileSync(join(dir, "lib.c"), "int lib(void){return 2;}\n");
  writeFileSync(join(dir, "app.c"), "int lib(void); int main(void){return lib();}\n");
  const gcc = (args: string[]) => execFileSync("gcc", args, { cwd: dir, stdio: "pipe" });
  gcc(["-shared", "-fPIC", "-Wl,-soname,liblib.so.1", "-o", "liblib.so.1", "lib.c"]);
  gcc(["-o", "app", "app.c", "-L.", "-l:liblib.so.1", "-Wl,-rpath,/opt/lib"]);
  gcc(["-c", "-o", "lib.o", "lib.c"]);
});

test("an executable streamed in 7-byte chunks: class, machine, type, its loader and its needs", async () => {
  const app = await read("app");
  assert.ok(app && app !== "unreadable");
  assert.equal(app.bits, 64);
  assert.equal(app.machine, process.arch === "arm64" ? 183 : 62);
  assert.equal(app.type, "dyn", "gcc builds PIE executables");
  assert.match(app.interpreter ?? "", /^\/lib.*\/ld-linux[^/]*\.so\.\d$/);
  assert.ok(app.needed.includes("liblib.so.1"));
  assert.ok(app.needed.includes("libc.so.6"));
  assert.deepEqual([...app.rpath, ...app.runpath], ["/opt/lib"]);
});

test("a shared library has its soname and no loader", async () => {
  const lib = await read("liblib.so.1", 4096);
  assert.ok(lib && lib !== "unreadable");
  assert.equal(lib.soname, "liblib.so.1");
  assert.equal(lib.interpreter, undefined);
});

test("a relocatable object is ELF the loader never maps; a script is not ELF", async () => {
  const obj = await read("lib.o");
  assert.ok(obj && obj !== "unreadable");
  assert.equal(obj.type, "other");
  assert.deepEqual(obj.needed, []);
  assert.equal(await readElfFile(chunks(Buffer.from("#!/bin/sh\necho hi\n"), 3)), null);
  assert.equal(await readElfFile(chunks(Buffer.alloc(0), 1)), null);
});

test("a library cut short before its dynamic section is unreadable, and the reader stops once decided", async () => {
  const whole = readFileSync(join(dir, "liblib.so.1"));
  assert.equal(await readElfFile(chunks(whole.subarray(0, 200), 50)), "unreadable");
  const reader = new ElfStreamReader();
  let fed = 0;
  for await (const c of chunks(whole, 64)) {
    fed += c.length;
    if (reader.push(c)) break;
  }
  assert.ok(reader.done);
  assert.ok(fed < whole.length, "the reader asked for the whole file");
});

test("a PT_DYNAMIC whose size is past any real one is unreadable, not a buffer of that size", async () => {
  const lib = Buffer.from(readFileSync(join(dir, "liblib.so.1")));
  const phoff = Number(lib.readBigUInt64LE(32));
  const phentsize = lib.readUInt16LE(54);
  const phnum = lib.readUInt16LE(56);
  let patched = false;
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    if (lib.readUInt32LE(o) !== 2) continue;
    lib.writeBigUInt64LE(1n << 40n, o + 32); // p_filesz: 1 TiB in a file of a few KiB
    patched = true;
  }
  assert.ok(patched, "gcc's library has a PT_DYNAMIC");
  assert.equal(await readElfFile(chunks(lib, 512)), "unreadable");
});

test("a dynamic section of many DT_NEEDED entries into one long unterminated string is unreadable, not copied per entry", async () => {
  // A hand-made ELF64: one PT_LOAD covering the file, a PT_DYNAMIC of 4096 DT_NEEDED entries
  // (16 bytes each) all naming offset 0 of a 256 KiB string table with no NUL: 1 GiB of names.
  const ehdr = 64;
  const phdrs = 2 * 56;
  const dynAt = ehdr + phdrs;
  const entries = 4096 + 2;
  const strAt = dynAt + entries * 16;
  const strSize = 256 * 1024;
  const file = Buffer.alloc(strAt + strSize, 0x41);
  file.fill(0, 0, strAt);
  file.write("\x7fELF", 0, "latin1");
  file[4] = 2; // 64-bit
  file[5] = 1; // little-endian
  file[6] = 1;
  file.writeUInt16LE(3, 16); // ET_DYN
  file.writeUInt16LE(62, 18);
  file.writeBigUInt64LE(BigInt(ehdr), 32); // e_phoff
  file.writeUInt16LE(56, 54);
  file.writeUInt16LE(2, 56);
  const ph = (i: number, type: number, offset: number, size: number) => {
    const o = ehdr + i * 56;
    file.writeUInt32LE(type, o);
    file.writeBigUInt64LE(BigInt(offset), o + 8);
    file.writeBigUInt64LE(BigInt(offset), o + 16);
    file.writeBigUInt64LE(BigInt(size), o + 32);
  };
  ph(0, 1, 0, file.length); // PT_LOAD
  ph(1, 2, dynAt, entries * 16); // PT_DYNAMIC
  const dyn = (i: number, tag: number, val: number) => {
    file.writeBigUInt64LE(BigInt(tag), dynAt + i * 16);
    file.writeBigUInt64LE(BigInt(val), dynAt + i * 16 + 8);
  };
  dyn(0, 5, strAt); // DT_STRTAB
  dyn(1, 10, strSize); // DT_STRSZ
  for (let i = 2; i < entries; i++) dyn(i, 1, 0); // DT_NEEDED → offset 0
  assert.equal(await readElfFile(chunks(file, 65536)), "unreadable");
});

test("program headers smaller than an ELF program header are not read past the file's end", async () => {
  // 64 bytes: the header, whose one 8-byte "program header" at offset 56 ends at byte 64.
  const file = Buffer.alloc(64);
  file.write("\x7fELF", 0, "latin1");
  file[4] = 2;
  file[5] = 1;
  file[6] = 1;
  file.writeUInt16LE(3, 16);
  file.writeUInt16LE(62, 18);
  file.writeBigUInt64LE(56n, 32); // e_phoff
  file.writeUInt16LE(8, 54); // e_phentsize: a 64-bit program header is 56 bytes
  file.writeUInt16LE(1, 56); // e_phnum
  const verdict = await readElfFile(chunks(file, 64));
  assert.ok(verdict && verdict !== "unreadable");
  assert.deepEqual(verdict.needed, []);
});
