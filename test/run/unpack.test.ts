// The rootfs cache: real layers (GNU tar, python3's tarfile for hostile
// ones) in a real OCI layout, read by the project's image reader and
// unpacked to disk; checked with lstat, never through the code under test.

import assert from "node:assert/strict";
import {
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { unpackImage } from "../../src/run/unpack.ts";
import { openImage } from "../../src/source/image-source.ts";
import { hostileLayer, tarDirectory, writeImage } from "./fixture.ts";

const isRoot = process.getuid?.() === 0;

describe("unpackImage", () => {
  let work: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), "cudaseal-unpack-"));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  async function image(name: string, layers: Buffer[]) {
    const ref = await writeImage(join(work, name), layers, { user: "0:0" });
    return openImage(ref);
  }

  test("extracts once per manifest digest, then answers from the cache", async () => {
    const src = join(work, "simple");
    mkdirSync(join(src, "etc"), { recursive: true });
    writeFileSync(join(src, "etc/hello"), "hello\n");
    const img = await image("simple-image", [tarDirectory(src)]);
    const cacheDir = join(work, "cache-a");
    const first = await unpackImage(img, { cacheDir });
    assert.equal(first.cached, false);
    assert.equal(first.rootfs, join(cacheDir, "rootfs", img.manifestDigest.slice(7)));
    assert.equal(readFileSync(join(first.rootfs, "etc/hello"), "utf8"), "hello\n");
    const inode = statSync(first.rootfs).ino;
    const second = await unpackImage(await openImage(`oci:${join(work, "simple-image")}:latest`), {
      cacheDir,
    });
    assert.equal(second.cached, true);
    assert.equal(statSync(second.rootfs).ino, inode);
    // Only the finished tree is left: no temporary directory beside it.
    assert.deepEqual(readdirSync(join(cacheDir, "rootfs")), [img.manifestDigest.slice(7)]);
    // Modes and setuid bits are kept, so the cache is private.
    assert.equal(statSync(join(cacheDir, "rootfs")).mode & 0o777, 0o700);
  });

  test("honours whiteouts and opaque directories, and keeps modes, owners, links", async () => {
    const base = hostileLayer([
      { name: "etc", type: "dir" },
      { name: "etc/keep", data: "keep" },
      { name: "etc/gone", data: "gone" },
      { name: "opt", type: "dir" },
      { name: "opt/old", data: "old" },
      { name: "opt/sub", type: "dir" },
      { name: "opt/sub/deep", data: "deep" },
      { name: "bin", type: "dir" },
      { name: "bin/tool", data: "tool", mode: 0o4755 },
      { name: "bin/alias", type: "symlink", linkname: "tool" },
      { name: "bin/hard", type: "hardlink", linkname: "bin/tool" },
      { name: "var", type: "dir" },
      { name: "var/file-becomes-dir", data: "x" },
    ]);
    const top = hostileLayer([
      { name: "etc/.wh.gone" },
      { name: "opt/.wh..wh..opq" },
      { name: "opt/new", data: "new" },
      { name: "var/file-becomes-dir", type: "dir" },
      { name: "var/file-becomes-dir/inside", data: "in" },
      // A whiteout of a name this layer also writes does not hide it.
      { name: "etc/same", data: "same" },
      { name: "etc/.wh.same" },
    ]);
    const img = await image("whiteouts", [base, top]);
    const { rootfs } = await unpackImage(img, { cacheDir: join(work, "cache-b") });
    assert.equal(readFileSync(join(rootfs, "etc/keep"), "utf8"), "keep");
    assert.ok(!existsSync(join(rootfs, "etc/gone")));
    assert.equal(readFileSync(join(rootfs, "etc/same"), "utf8"), "same");
    assert.deepEqual(readdirSync(join(rootfs, "opt")).sort(), ["new"]);
    assert.equal(readFileSync(join(rootfs, "var/file-becomes-dir/inside"), "utf8"), "in");
    assert.equal(readlinkSync(join(rootfs, "bin/alias")), "tool");
    assert.equal(statSync(join(rootfs, "bin/hard")).ino, statSync(join(rootfs, "bin/tool")).ino);
    if (isRoot) assert.equal(statSync(join(rootfs, "bin/tool")).mode & 0o7777, 0o4755);
  });

  test("keeps numeric owners when run as root", { skip: !isRoot && "needs root to chown" }, async () => {
    const src = join(work, "owned");
    mkdirSync(join(src, "home/app"), { recursive: true });
    writeFileSync(join(src, "home/app/file"), "x");
    chownSync(join(src, "home/app"), 1234, 2345);
    chownSync(join(src, "home/app/file"), 1234, 2345);
    const { rootfs } = await unpackImage(await image("owned-image", [tarDirectory(src)]), {
      cacheDir: join(work, "cache-c"),
    });
    const st = lstatSync(join(rootfs, "home/app/file"));
    assert.deepEqual([st.uid, st.gid], [1234, 2345]);
  });

  test("refuses an entry that climbs out with .. (TAR_PATH_TRAVERSAL) and leaves nothing", async () => {
    const cacheDir = join(work, "cache-d");
    const img = await image("traversal", [hostileLayer([{ name: "../../escaped", data: "pwned" }])]);
    await assert.rejects(unpackImage(img, { cacheDir }), (err) => isCudasealError(err, "TAR_PATH_TRAVERSAL"));
    assert.ok(!existsSync(join(work, "escaped")));
    assert.deepEqual(readdirSync(join(cacheDir, "rootfs")), []);
  });

  test("a whiteout named .wh. at the top, which names the root itself, is refused (IMAGE_INVALID) and leaves nothing", async () => {
    const cacheDir = join(work, "cache-root-whiteout");
    const base = hostileLayer([
      { name: "etc", type: "dir" },
      { name: "etc/keep", data: "keep" },
    ]);
    const top = hostileLayer([{ name: ".wh." }, { name: "etc/after", data: "after" }]);
    const img = await image("root-whiteout", [base, top]);
    await assert.rejects(unpackImage(img, { cacheDir }), (err) => isCudasealError(err, "IMAGE_INVALID"));
    assert.deepEqual(readdirSync(join(cacheDir, "rootfs")), []);
  });

  test("never writes through a symlink a lower layer made (TAR_LINK_ESCAPE)", async () => {
    const outside = join(work, "outside");
    mkdirSync(outside);
    const base = hostileLayer([{ name: "evil", type: "symlink", linkname: outside }]);
    const top = hostileLayer([{ name: "evil/planted", data: "pwned" }]);
    const img = await image("symlink-escape", [base, top]);
    await assert.rejects(unpackImage(img, { cacheDir: join(work, "cache-e") }), (err) =>
      isCudasealError(err, "TAR_LINK_ESCAPE"),
    );
    assert.deepEqual(readdirSync(outside), []);
  });

  test("an interrupted unpack (RUN_INTERRUPTED) keeps nothing", async () => {
    const cacheDir = join(work, "cache-g");
    const img = await image("interrupted", [hostileLayer([{ name: "a", data: "a" }])]);
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(unpackImage(img, { cacheDir, signal: controller.signal }), (err) =>
      isCudasealError(err, "RUN_INTERRUPTED"),
    );
    assert.deepEqual(readdirSync(join(cacheDir, "rootfs")), []);
  });

  test("replaces a symlink with a file instead of writing through it", async () => {
    const victim = join(work, "victim");
    writeFileSync(victim, "safe");
    const base = hostileLayer([{ name: "link", type: "symlink", linkname: victim }]);
    const top = hostileLayer([{ name: "link", data: "replaced" }]);
    const { rootfs } = await unpackImage(await image("symlink-replace", [base, top]), {
      cacheDir: join(work, "cache-f"),
    });
    assert.equal(readFileSync(victim, "utf8"), "safe");
    assert.equal(readFileSync(join(rootfs, "link"), "utf8"), "replaced");
  });
});
