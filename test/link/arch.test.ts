// What differs by architecture: the cache's flags and trusted folders for
// arm64, and glibc's name order, whose bytes past ASCII compare as C `char`
// (signed on x86-64, unsigned on AArch64).

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import {
  buildLdCache,
  defaultLibraryDirectories,
  type ElfFacts,
  type ImageTree,
} from "../../src/link/index.ts";
import { libcmp } from "../../src/link/lib-order.ts";
import { tempRoot } from "../helpers/link-roots.ts";

const b = (s: string) => Buffer.from(s, "latin1");

test("glibc's name order: digit runs compare as numbers, a digit after any other character", () => {
  assert.ok(libcmp(b("libfoo.so.10"), b("libfoo.so.9"), true) > 0);
  assert.ok(libcmp(b("libfoo.so.2"), b("libfoo.so.2.1"), true) < 0);
  assert.ok(libcmp(b("libfoo.so.1"), b("libfoo.so.x"), true) > 0);
  assert.equal(libcmp(b("libfoo.so.01"), b("libfoo.so.1"), true), 0);
  assert.equal(libcmp(b("libz.so.1"), b("libz.so.1"), false), 0);
  // Past ASCII: below "a" as a signed char, above it unsigned.
  assert.ok(libcmp(b("lib\xe9.so"), b("liba.so"), true) < 0);
  assert.ok(libcmp(b("lib\xe9.so"), b("liba.so"), false) > 0);
});

const so = (soname: string, machine: number): ElfFacts => ({
  bits: 64,
  machine,
  type: "dyn",
  soname,
  needed: [],
  rpath: [],
  runpath: [],
});

test("an arm64 tree: AArch64 libraries cached with 0x0a03 under the aarch64 folders; x86-64 ones left out", async () => {
  assert.deepEqual(defaultLibraryDirectories("arm64"), [
    "/lib/aarch64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/lib",
    "/usr/lib",
  ]);
  const tree: ImageTree = {
    arch: "arm64",
    nodes: new Map([
      ["lib", { type: "symlink", target: "usr/lib" }],
      ["usr/lib/aarch64-linux-gnu", { type: "directory", mode: 0o755 }],
      [
        "usr/lib/aarch64-linux-gnu/libz.so.1.3",
        { type: "file", mode: 0o644, size: 1, elf: so("libz.so.1", 183) },
      ],
      ["usr/lib/aarch64-linux-gnu/libz.so.1", { type: "symlink", target: "libz.so.1.3" }],
      [
        "usr/lib/aarch64-linux-gnu/libx86.so.1",
        { type: "file", mode: 0o644, size: 1, elf: so("libx86.so.1", 62) },
      ],
    ]),
  };
  const cache = buildLdCache(tree);
  assert.deepEqual(
    cache.entries.map((e) => [e.soname, e.path, e.flags]),
    [["libz.so.1", "/lib/aarch64-linux-gnu/libz.so.1", 0x0a03]],
  );
  // Debian's ldconfig reads it and names the kind.
  const t = await tempRoot();
  try {
    const file = join(t.root, "ld.so.cache");
    await writeFile(file, cache.bytes);
    const printed = execFileSync("/sbin/ldconfig", ["-p", "-C", file], { encoding: "utf8" });
    assert.match(printed, /libz\.so\.1 \(libc6,AArch64\) => \/lib\/aarch64-linux-gnu\/libz\.so\.1/);
  } finally {
    await t.remove();
  }
});

test("an architecture the loader tables do not know is SPEC_INVALID", () => {
  assert.throws(
    () => buildLdCache({ arch: "mips64el", nodes: new Map() }),
    (err) => isCudasealError(err, "SPEC_INVALID"),
  );
});
