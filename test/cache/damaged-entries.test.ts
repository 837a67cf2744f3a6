// A cache is written by cudaseal but lives on a disk anyone may have touched:
// an entry that is a FIFO or a device is damage, met at once as a miss or a
// rebuild, never waited on or read without end.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { isTreeMeta } from "../../src/build/layer-meta.ts";
import { ContentStore } from "../../src/cache/content-store.ts";
import { isCudasealError } from "../../src/errors.ts";
import { LayerCache } from "../../src/layer/layer-cache.ts";
import { readCompact } from "../../src/scan/tracker-compact.ts";
import { readCachedTracker } from "../../src/scan/tracker-download.ts";

const root = mkdtempSync(join(tmpdir(), "cudaseal-damaged-cache-"));
after(() => rmSync(root, { recursive: true, force: true }));

function mkfifo(path: string): string {
  mkdirSync(dirname(path), { recursive: true });
  assert.equal(spawnSync("mkfifo", [path]).status, 0);
  return path;
}

const HEX = createHash("sha256").update("an entry").digest("hex");

test("a content store entry that is a FIFO is removed as damage and looked up as missing", {
  timeout: 10_000,
}, async () => {
  const store = new ContentStore(join(root, "store"));
  mkfifo(store.path(HEX));
  assert.equal(await store.present(HEX, 0), undefined);
  assert.equal(await store.lookup(HEX), undefined);
  assert.equal(existsSync(store.path(HEX)), false);
});

test("a layer record that is a FIFO or a link to /dev/zero is a miss", { timeout: 10_000 }, async () => {
  const dir = join(root, "layer-cache");
  const cache = new LayerCache(dir, new ContentStore(join(dir, "store")));
  mkfifo(join(dir, "layers", "fifo.json"));
  symlinkSync("/dev/zero", join(dir, "layers", "zero.json"));
  assert.equal(await cache.get("fifo", isTreeMeta), undefined);
  assert.equal(await cache.get("zero", isTreeMeta), undefined);
});

test("a layer record whose meta has the wrong shape is a miss, as one that does not parse", async () => {
  const dir = join(root, "layer-meta");
  const store = new ContentStore(join(dir, "store"));
  const cache = new LayerCache(dir, store);
  const bytes = Buffer.from("a layer");
  const hex = createHash("sha256").update(bytes).digest("hex");
  const tmp = await store.tempPath(hex);
  writeFileSync(tmp, bytes);
  const path = await store.commit(tmp, hex);
  const blob = {
    path,
    digest: `sha256:${hex}`,
    size: bytes.length,
    diffId: `sha256:${hex}`,
    uncompressedSize: bytes.length,
    mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
  };
  await cache.put("sound", { blob, meta: { tree: [["etc", { type: "directory", mode: 0o755 }]] } });
  assert.equal((await cache.get("sound", isTreeMeta))?.blob.path, path);
  for (const [key, meta] of [
    ["empty", {}],
    ["number", { tree: 3 }],
    ["node", { tree: [["etc", { type: "file", mode: "rw" }]] }],
  ] as const) {
    await cache.put(key, { blob, meta });
    assert.equal(await cache.get(key, isTreeMeta), undefined, key);
  }
});

test("tracker metadata that is a FIFO is a miss; a compact cache that is one is CACHE_CORRUPT, to be rebuilt", {
  timeout: 10_000,
}, async () => {
  const dir = join(root, "tracker");
  mkfifo(join(dir, "meta.json"));
  assert.equal(await readCachedTracker(dir), undefined);
  const compact = mkfifo(join(dir, "compact", `${HEX}.trixie.bin`));
  await assert.rejects(readCompact(compact, HEX, "trixie"), (err) => isCudasealError(err, "CACHE_CORRUPT"));
});
