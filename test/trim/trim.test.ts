// trim: elf on real ELF files built by gcc: the dynamic section parser, and
// the reachability plan from an entrypoint through DT_NEEDED, RUNPATH with
// $ORIGIN, symlinks, and the dlopen table.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createReadStream, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, test } from "node:test";
import type { ElfDynamic } from "../../src/trim/elf.ts";
import { readElfFile } from "../../src/trim/elf-stream.ts";
import { isLibraryPath, planTrim } from "../../src/trim/reachable.ts";

let dir: string;
const built: Record<string, ElfDynamic> = {};

function gcc(args: string[]): void {
  execFileSync("gcc", args, { cwd: dir, stdio: "pipe" });
}

async function dyn(file: string): Promise<ElfDynamic> {
  const parsed = await readElfFile(createReadStream(join(dir, file)));
  assert.ok(parsed !== null && parsed !== "unreadable", file);
  return parsed;
}

/** A buffer as the one-chunk stream the ELF reader takes. */
async function* once(bytes: Buffer): AsyncIterable<Uint8Array> {
  yield bytes;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "cudaseal-trim-"));
  writeFileSync(join(dir, "bar.c"), "int bar(void){return 2;}\n");
  writeFileSync(join(dir, "foo.c"), "int bar(void); int foo(void){return bar()+1;}\n");
  writeFileSync(join(dir, "unused.c"), "int unused(void){return 0;}\n");
  writeFileSync(join(dir, "app.c"), "int foo(void); int main(void){return foo()==3?0:1;}\n");
  gcc(["-shared", "-fPIC", "-Wl,-soname,libbar.so.1", "-o", "libbar.so.1.0", "bar.c"]);
  execFileSync("ln", ["-sf", "libbar.so.1.0", join(dir, "libbar.so.1")]);
  gcc(["-shared", "-fPIC", "-Wl,-soname,libfoo.so.1", "-o", "libfoo.so.1", "foo.c", "-L.", "-l:libbar.so.1"]);
  gcc(["-shared", "-fPIC", "-Wl,-soname,libunused.so.1", "-o", "libunused.so.1", "unused.c"]);
  gcc([
    "-o",
    "app",
    "app.c",
    "-L.",
    "-l:libfoo.so.1",
    "-l:libbar.so.1",
    "-Wl,-rpath,$ORIGIN/../lib/app",
    "-Wl,--enable-new-dtags",
  ]);
  for (const f of ["libbar.so.1.0", "libfoo.so.1", "libunused.so.1", "app"]) built[f] = await dyn(f);
});

test("the dynamic section of gcc's output: SONAME, NEEDED, RUNPATH", async () => {
  assert.equal(built["libfoo.so.1"].soname, "libfoo.so.1");
  assert.ok(built["libfoo.so.1"].needed.includes("libbar.so.1"));
  assert.ok(built.app.needed.includes("libfoo.so.1"));
  assert.deepEqual(built.app.runpath, ["$ORIGIN/../lib/app"]);
  assert.equal(await readElfFile(once(Buffer.from("#!/bin/sh\necho hi\n".padEnd(80)))), null);
  const head = readFileSync(join(dir, "libfoo.so.1")).subarray(0, 100);
  assert.equal(await readElfFile(once(head)), "unreadable", "a file cut short before its tables");
});

test("only libraries reachable from the roots stay", () => {
  const lib = "usr/lib/x86_64-linux-gnu";
  const files = new Map<string, ElfDynamic | null>([
    ["opt/app/bin/app", built.app],
    ["opt/app/lib/app/libfoo.so.1", built["libfoo.so.1"]],
    [`${lib}/libbar.so.1.0`, built["libbar.so.1.0"]],
    [`${lib}/libunused.so.1`, built["libunused.so.1"]],
    [`${lib}/libc.so.6`, { soname: "libc.so.6", needed: [], rpath: [], runpath: [] }],
    [
      `${lib}/libnss_files.so.2`,
      { soname: "libnss_files.so.2", needed: ["libc.so.6"], rpath: [], runpath: [] },
    ],
    [`${lib}/ld-linux-x86-64.so.2`, null],
    [`${lib}/libcublas.so.12.4.5.8`, { soname: "libcublas.so.12", needed: [], rpath: [], runpath: [] }],
    [`${lib}/libcublasLt.so.12.4.5.8`, { soname: "libcublasLt.so.12", needed: [], rpath: [], runpath: [] }],
    [`${lib}/libcufft.so.11.2.1.3`, { soname: "libcufft.so.11", needed: [], rpath: [], runpath: [] }],
    ["usr/share/doc/readme", null],
  ]);
  const symlinks = new Map([
    [`${lib}/libbar.so.1`, "libbar.so.1.0"],
    [`${lib}/libcublas.so.12`, "libcublas.so.12.4.5.8"],
    [`${lib}/libcublasLt.so.12`, "libcublasLt.so.12.4.5.8"],
    [`${lib}/libcufft.so.11`, "libcufft.so.11.2.1.3"],
  ]);
  const plan = planTrim({
    files,
    symlinks,
    roots: ["/opt/app/bin/app", `/${lib}/libcublas.so.12`],
    multiarch: "x86_64-linux-gnu",
  });
  assert.deepEqual([...plan.remove].sort(), [
    `${lib}/libcufft.so.11`,
    `${lib}/libcufft.so.11.2.1.3`,
    `${lib}/libunused.so.1`,
  ]);
  assert.ok(plan.reached.has(`${lib}/libbar.so.1.0`), "found through NEEDED and a symlink");
  assert.ok(plan.reached.has("opt/app/lib/app/libfoo.so.1"), "found through RUNPATH with $ORIGIN");
  assert.ok(plan.reached.has(`${lib}/libcublasLt.so.12.4.5.8`), "cuBLAS loads cuBLASLt with dlopen");
  assert.ok(plan.reached.has(`${lib}/libnss_files.so.2`), "glibc loads NSS modules with dlopen");
  assert.deepEqual(plan.unresolved, []);
});

test("what counts as a removable library", () => {
  assert.ok(isLibraryPath("usr/lib/x86_64-linux-gnu/libcufft.so.11"));
  assert.ok(isLibraryPath("usr/lib/libfoo.so"));
  assert.ok(!isLibraryPath("usr/lib/x86_64-linux-gnu/gconv/libJIS.so"));
  assert.ok(
    !isLibraryPath(
      "usr/lib/python3/dist-packages/numpy/core/_multiarray_umath.cpython-313-x86_64-linux-gnu.so",
    ),
  );
  assert.ok(!isLibraryPath("usr/bin/app"));
});
