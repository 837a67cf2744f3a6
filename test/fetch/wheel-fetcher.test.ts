// fetchWheels against a real simple index on 127.0.0.1 serving wheels built
// by the real tools: a wheel enters the content store only when its bytes
// hash to what the lock pins, whether it comes over HTTP or from a local
// path, and a cache entry is hashed again before use.

import assert from "node:assert/strict";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { ContentStore, hashFile } from "../../src/cache/content-store.ts";
import { isCudasealError } from "../../src/errors.ts";
import { fetchWheels, verifiedWheel } from "../../src/fetch/wheel-fetcher.ts";
import type { ChosenWheel } from "../../src/python/index.ts";
import { storeFiles, tempStore, tmpFiles } from "../helpers/store.ts";
import { type BuiltWheel, buildWheel, startWheelIndex, wheelToolsAvailable } from "../helpers/wheels.ts";

const skip = wheelToolsAvailable()
  ? false
  : "Debian's python3 with pip, wheel and setuptools is not installed";

function chosen(built: BuiltWheel, url: string, sha256 = built.sha256): ChosenWheel {
  return {
    name: built.name,
    version: built.version,
    filename: built.filename,
    url,
    sha256,
    size: built.size,
  };
}

async function setup(t: test.TestContext) {
  const dir = await mkdtemp(join(tmpdir(), "cudaseal-wheels-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const built = await buildWheel({ name: "demo-lib", version: "1.0" }, join(dir, "served"));
  const index = await startWheelIndex(join(dir, "served"));
  t.after(() => index.close());
  const s = await tempStore();
  t.after(() => s.remove());
  return { dir, built, index, ...s };
}

test("a wheel is downloaded into the store under its hash, and a second fetch finds it", {
  skip,
}, async (t) => {
  const { built, index, store, root } = await setup(t);
  const wheel = chosen(built, `${index.origin}/files/${built.filename}`);
  const first = await fetchWheels([wheel], { store });
  assert.deepEqual(
    first.map((f) => f.downloaded),
    [true],
  );
  assert.deepEqual(await storeFiles(root), [relative(root, store.path(built.sha256))]);
  const path = await verifiedWheel(wheel, { store });
  assert.equal(await hashFile(path), built.sha256);
  // A lock that gives no size gets the file's, for the layer plan.
  const unsized = await fetchWheels([{ ...wheel, size: undefined }], { store });
  assert.equal(unsized[0]?.wheel.size, built.size);
  const second = await fetchWheels([wheel], { store });
  assert.deepEqual(
    second.map((f) => f.downloaded),
    [false],
  );
});

test("a wheel whose bytes differ from the lock's hash is PY_HASH_MISMATCH and nothing is kept", {
  skip,
}, async (t) => {
  const { built, index, store, root } = await setup(t);
  const wheel = chosen(built, `${index.origin}/files/${built.filename}`, "0".repeat(64));
  await assert.rejects(fetchWheels([wheel], { store }), (err) => isCudasealError(err, "PY_HASH_MISMATCH"));
  assert.deepEqual(await storeFiles(root), []);
  assert.deepEqual(await tmpFiles(root), []);
});

test("a wheel named by a local path is copied when it matches, refused when it does not", {
  skip,
}, async (t) => {
  const { dir, built, store, root } = await setup(t);
  const local = join(dir, built.filename);
  await copyFile(built.path, local);
  const wheel = chosen(built, pathToFileURL(local).href);
  assert.equal(await hashFile(await verifiedWheel(wheel, { store })), built.sha256);
  await writeFile(local, "not the wheel");
  const other = { ...wheel, sha256: "1".repeat(64), size: undefined };
  await assert.rejects(fetchWheels([other], { store }), (err) => isCudasealError(err, "PY_HASH_MISMATCH"));
  assert.deepEqual(await storeFiles(root), [relative(root, store.path(built.sha256))]);
});

test("a cached wheel that was altered is hashed before use and fetched again", { skip }, async (t) => {
  const { built, index, store, root } = await setup(t);
  const wheel = chosen(built, `${index.origin}/files/${built.filename}`);
  await fetchWheels([wheel], { store });
  // Same size, other bytes: only the hash before use can tell. A new store is the next build.
  await writeFile(store.path(built.sha256), "x".repeat(built.size));
  const next = new ContentStore(root);
  const fetched = await fetchWheels([wheel], { store: next });
  assert.deepEqual(
    fetched.map((f) => f.downloaded),
    [false],
  );
  assert.equal(await hashFile(await verifiedWheel(wheel, { store: next })), built.sha256);
});
