import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { readFilesystem } from "../../src/source/filesystem.ts";
import { openImage } from "../../src/source/image-source.ts";
import { makeImages } from "./fixture.ts";

const dir = mkdtempSync(join(tmpdir(), "cudaseal-fs-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("whiteouts delete, opaque directories empty, later layers win", async () => {
  await writeOciLayout(join(dir, "layout"), makeImages(dir).single);
  const image = await openImage(`oci:${join(dir, "layout")}:v1`, { arch: "amd64" });
  const fs = await readFilesystem(image, { want: (p) => p.startsWith("/etc/") || p.startsWith("/opt/") });
  assert.equal(fs.files.has("/etc/gone"), false);
  assert.equal(fs.files.has("/etc/.wh.gone"), false);
  assert.equal(fs.files.has("/opt/d/a"), false);
  assert.equal(fs.files.has("/opt/d/sub"), false);
  assert.equal(fs.files.has("/opt/d/sub/b"), false);
  assert.equal(fs.files.has("/opt/d/.wh..wh..opq"), false);
  assert.deepEqual(fs.files.get("/opt/d/c"), {
    type: "file",
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: 2,
    layer: 1,
  });
  assert.equal(fs.files.get("/etc/hello")?.layer, 1);
  assert.equal(fs.files.get("/etc/hello")?.size, 12);
  assert.equal(fs.files.get("/etc")?.type, "directory");
  assert.deepEqual([...fs.contents.keys()].sort(), ["/etc/hello", "/opt/d/c"]);
  assert.equal(fs.contents.get("/etc/hello")?.toString(), "hello again\n");
});

test("wanted files over the cap are named, not kept", async () => {
  const image = await openImage(`oci:${join(dir, "layout")}:v1`, { arch: "amd64" });
  const fs = await readFilesystem(image, { want: (p) => p === "/etc/hello", maxContentSize: 4 });
  assert.equal(fs.contents.size, 0);
  assert.deepEqual([...fs.tooLarge], ["/etc/hello"]);
});

test("hashed files get the checksums of their final version; whiteouts take them away", async () => {
  const image = await openImage(`oci:${join(dir, "layout")}:v1`, { arch: "amd64" });
  // A per-path cap below maxContentSize names the file too large but still hashes it.
  const fs = await readFilesystem(image, { want: (p) => (p === "/etc/hello" ? 4 : false), hash: () => true });
  const hello = createHash("sha256").update("hello again\n").digest("hex");
  assert.deepEqual(fs.digests.get("/etc/hello"), {
    sha256: hello,
    sha1: createHash("sha1").update("hello again\n").digest("hex"),
  });
  assert.deepEqual([...fs.tooLarge], ["/etc/hello"]);
  assert.equal(fs.digests.has("/etc/gone"), false);
  assert.equal(fs.digests.has("/opt/d/a"), false);
  assert.deepEqual(
    [...fs.digests.keys()].filter((p) => !p.startsWith("/var/") && !p.startsWith("/lib/")).sort(),
    ["/etc/hello", "/opt/d/c"],
  );
});
