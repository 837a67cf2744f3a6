// The ld.so.cache cudaseal writes against the one Debian's own ldconfig
// writes for the same root: the same soname → path pairs in the same order
// (`ldconfig -p`), and the same bytes when the generator string matches.

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cp, mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { buildLdCache, encodeLdCache, parseLdCache } from "../../src/link/index.ts";
import type { ImageTree, TreeNode } from "../../src/link/types.ts";
import { readImageTree } from "../helpers/image-tree.ts";
import {
  CUDA_LIB,
  debianRoot,
  gcc,
  HOST_LIBS,
  nvidiaRoot,
  put,
  removeCompiled,
  tempRoot,
} from "../helpers/link-roots.ts";

const LDCONFIG = "/sbin/ldconfig";

after(() => removeCompiled());

/** Debian's ldconfig on the root, without touching links; its cache's bytes. */
function debianLdconfig(root: string): Buffer {
  execFileSync(LDCONFIG, ["-X", "-i", "-r", root, "-C", "/etc/ld.so.cache", "-f", "/etc/ld.so.conf"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  return execFileSync("cat", [join(root, "etc/ld.so.cache")]);
}

/** `ldconfig -p` of a cache file, less its first line (which names the file). */
async function printed(root: string, name: string, bytes: Buffer): Promise<string> {
  const file = join(root, name);
  await writeFile(file, bytes);
  return execFileSync(LDCONFIG, ["-p", "-C", file], { encoding: "utf8" }).split("\n").slice(1).join("\n");
}

async function crossCheck(
  build: (root: string) => Promise<void>,
): Promise<{ tree: ImageTree; ours: ReturnType<typeof buildLdCache> }> {
  const t = await tempRoot();
  try {
    await build(t.root);
    const tree = await readImageTree(t.root);
    const theirs = debianLdconfig(t.root);
    const generator = parseLdCache(theirs).generator;
    assert.ok(generator?.startsWith("ldconfig"), `generator: ${generator}`);
    const ours = buildLdCache(tree, { generator });
    // The same tree, read again, gives the same bytes.
    assert.ok(buildLdCache(await readImageTree(t.root), { generator }).bytes.equals(ours.bytes));
    assert.equal(await printed(t.root, "ours", ours.bytes), await printed(t.root, "theirs", theirs));
    assert.ok(ours.bytes.equals(theirs), "byte-identical to Debian's ldconfig");
    assert.deepEqual(
      parseLdCache(ours.bytes).entries.map((e) => `${e.soname} ${e.path} ${e.flags}`),
      parseLdCache(theirs).entries.map((e) => `${e.soname} ${e.path} ${e.flags}`),
    );
    return { tree, ours };
  } finally {
    await t.remove();
  }
}

test("a Debian-shaped root: cudaseal's cache lists what Debian's ldconfig lists, byte for byte", async () => {
  const { ours } = await crossCheck(debianRoot);
  const libz = ours.entries.find((e) => e.soname === "libz.so.1");
  assert.equal(libz?.path, "/lib/x86_64-linux-gnu/libz.so.1");
  assert.equal(libz?.flags, 0x0303);
  // The ld(1) link is cached under its own name, as ldconfig does.
  assert.ok(ours.entries.some((e) => e.soname === "libz.so" && e.path === "/lib/x86_64-linux-gnu/libz.so"));
  assert.deepEqual(ours.links, []);
});

test("an NVIDIA-shaped root: the CUDA folder is cached once, as first spelt, and the missing soname link is listed", async () => {
  const { tree, ours } = await crossCheck(async (root) => {
    await debianRoot(root);
    await nvidiaRoot(root);
  });
  const cudart = ours.entries.find((e) => e.soname === "libcudart.so.12");
  assert.equal(cudart?.path, "/usr/local/cuda/targets/x86_64-linux/lib/libcudart.so.12");
  assert.ok(ours.entries.some((e) => e.soname === "libcublas.so.12"));
  assert.deepEqual(ours.links, [{ path: `${CUDA_LIB}/libcublas.so.12`, target: "libcublas.so.12.8.4.1" }]);
  assert.equal(parseLdCache(buildLdCache(tree).bytes).generator, "cudaseal");
});

test("glibc-hwcaps subdirectories: files cached under their own names, tagged with the subdirectory, as ldconfig does", async () => {
  const { ours } = await crossCheck(async (root) => {
    await debianRoot(root);
    const v3 = join(root, "usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3");
    await mkdir(v3, { recursive: true });
    await cp(join(HOST_LIBS, "libz.so.1.2.13"), join(v3, "libz.so.1.2.13"));
    await symlink("libz.so.1.2.13", join(v3, "libz.so.1"));
    // Met but unused: its name still goes into the string table.
    await mkdir(join(root, "usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v2"), { recursive: true });
  });
  const hw = ours.entries.filter((e) => e.path.includes("glibc-hwcaps"));
  assert.deepEqual(
    hw.map((e) => [e.soname, e.path]),
    [["libz.so.1", "/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libz.so.1.2.13"]],
  );
  assert.equal(hw[0].hwcap, (1n << 62n) | 0n);
  assert.deepEqual(parseLdCache(ours.bytes).hwcaps, ["x86-64-v3"]);
  // The glibc-hwcaps entry comes before the plain one of the same soname.
  const order = ours.entries.map((e) => e.path);
  assert.ok(order.indexOf(hw[0].path) < order.indexOf("/lib/x86_64-linux-gnu/libz.so.1"));
});

test("an empty root gives a cache with no entries that Debian's ldconfig reads", async () => {
  await crossCheck((root) => put(root, "etc/ld.so.conf", ""));
});

test("the real loader, chrooted into the root, finds CUDA's libraries through cudaseal's cache and the soname links it lists", {
  skip: process.getuid?.() !== 0 ? "chroot needs root" : false,
}, async () => {
  const t = await tempRoot();
  try {
    await debianRoot(t.root);
    await nvidiaRoot(t.root);
    const main = (fn: string) => `int ${fn}(void); int main(void) { return ${fn}() == 42 ? 0 : 3; }\n`;
    const lib = join(t.root, CUDA_LIB);
    gcc(t.root, "usr/bin/app", main("cudart_version"), [`-L${lib}`, "-l:libcudart.so.12"]);
    gcc(t.root, "usr/bin/blas", main("cublas_version"), [`-L${lib}`, "-l:libcublas.so.12.8.4.1"]);
    const run = (prog: string) => spawnSync("chroot", [t.root, prog], { encoding: "utf8" });
    // Without a cache neither library is found: the check below can fail.
    assert.match(run("/usr/bin/app").stderr, /libcudart\.so\.12/);
    const cache = buildLdCache(await readImageTree(t.root));
    await writeFile(join(t.root, "etc/ld.so.cache"), cache.bytes);
    assert.equal(run("/usr/bin/app").status, 0);
    assert.match(run("/usr/bin/blas").stderr, /libcublas\.so\.12/);
    for (const l of cache.links) await symlink(l.target, join(t.root, l.path));
    assert.equal(run("/usr/bin/blas").status, 0);
  } finally {
    await t.remove();
  }
});

function assertInvalid(bytes: Uint8Array): void {
  assert.throws(
    () => parseLdCache(bytes),
    (err) => isCudasealError(err, "IMAGE_INVALID"),
  );
}

test("hostile cache bytes are IMAGE_INVALID, never a RangeError", () => {
  const good = encodeLdCache(
    [
      {
        soname: "libz.so.1",
        path: "/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libz.so.1.3",
        flags: 0x0303,
        hwcap: 1n << 62n,
      },
      { soname: "libz.so.1", path: "/lib/x86_64-linux-gnu/libz.so.1", flags: 0x0303, hwcap: 0n },
    ],
    { hwcaps: ["x86-64-v3"] },
  );
  assert.deepEqual(parseLdCache(good).hwcaps, ["x86-64-v3"]);
  assert.equal(parseLdCache(good).entries.length, 2);
  for (let n = 0; n < good.length; n += 7) {
    // Every truncation either parses to fewer facts or is refused with a code.
    try {
      parseLdCache(good.subarray(0, n));
    } catch (err) {
      assert.ok(isCudasealError(err, "IMAGE_INVALID"), `truncated to ${n}: ${err}`);
    }
  }
  assertInvalid(Buffer.alloc(0));
  assertInvalid(Buffer.from("not a cache at all, just text that is long enough to pass the size check"));
  const hugeCount = Buffer.from(good);
  hugeCount.writeUInt32LE(0xffffffff, 20);
  assertInvalid(hugeCount);
  const badKey = Buffer.from(good);
  badKey.writeUInt32LE(0xfffffff0, 48 + 4);
  assertInvalid(badKey);
  const badStrings = Buffer.from(good);
  badStrings.writeUInt32LE(0x7fffffff, 24);
  assertInvalid(badStrings);
  const unterminated = Buffer.from(good);
  unterminated.fill(0x41, unterminated.readUInt32LE(48 + 8));
  assertInvalid(unterminated);
  const badExtension = Buffer.from(good);
  const ext = badExtension.readUInt32LE(32);
  badExtension.writeUInt32LE(0xffffff00, ext + 16);
  assertInvalid(badExtension);
  const bigEndian = Buffer.from(good);
  bigEndian[28] = 3;
  assertInvalid(bigEndian);
});

test("Debian's own cache on this machine parses", async () => {
  const parsed = parseLdCache(await readFile("/etc/ld.so.cache"));
  assert.ok(parsed.entries.some((e) => e.soname === "libc.so.6"));
});

test("a DT_SONAME with a slash names no cache entry and no soname link, so no link path climbs out of its folder", () => {
  const lib = (soname: string) => ({
    type: "file" as const,
    mode: 0o644,
    size: 1,
    elf: { bits: 64 as const, machine: 62, type: "dyn" as const, soname, needed: [], rpath: [], runpath: [] },
  });
  const tree: ImageTree = {
    arch: "amd64",
    nodes: new Map<string, TreeNode>([
      ["usr/lib/x86_64-linux-gnu", { type: "directory", mode: 0o755 }],
      ["usr/lib/x86_64-linux-gnu/libevil.so.1.0", lib("../../../../etc/evil.so.1")],
      ["usr/lib/x86_64-linux-gnu/libgood.so.1.0", lib("libgood.so.1")],
    ]),
  };
  const cache = buildLdCache(tree);
  assert.deepEqual(
    cache.links.map((l) => l.path),
    ["usr/lib/x86_64-linux-gnu/libgood.so.1"],
  );
  assert.deepEqual(
    cache.entries.map((e) => e.path),
    ["/usr/lib/x86_64-linux-gnu/libgood.so.1"],
  );
});
