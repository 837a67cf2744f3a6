// The host's architecture by Debian's name: Node's CPU names mapped, so a
// ppc64el or armhf host is not taken for amd64.

import assert from "node:assert/strict";
import { test } from "node:test";
import { debianArch, hostArch } from "../../src/source/host-arch.ts";

test("Node's CPU names map to Debian's architectures", () => {
  const le = (arch: string, armVersion?: string) => debianArch({ arch, endianness: "LE", armVersion });
  assert.equal(le("x64"), "amd64");
  assert.equal(le("arm64"), "arm64");
  assert.equal(le("ia32"), "i386");
  assert.equal(le("ppc64"), "ppc64el");
  assert.equal(debianArch({ arch: "ppc64", endianness: "BE" }), "ppc64");
  assert.equal(le("s390x"), "s390x");
  assert.equal(le("riscv64"), "riscv64");
  assert.equal(le("loong64"), "loong64");
  assert.equal(le("arm", "7"), "armhf");
  assert.equal(le("arm", "6"), "armel");
  assert.equal(le("mips64el"), "mips64el");
});

test("a CPU Debian has no name for maps to nothing, not to amd64", () => {
  assert.equal(debianArch({ arch: "sparc-of-the-future", endianness: "LE" }), undefined);
  assert.equal(debianArch({ arch: "constructor", endianness: "LE" }), undefined);
});

test("this host's architecture is the mapping of its own CPU", () => {
  const expected: Record<string, string> = { x64: "amd64", arm64: "arm64" };
  if (expected[process.arch] !== undefined) assert.equal(hostArch(), expected[process.arch]);
  else assert.notEqual(hostArch(), "amd64");
});
