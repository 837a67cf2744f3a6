import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { CudasealError, isCudasealError } from "../../src/errors.ts";
import { withTempDir, withTempFile } from "../../src/oci/atomic-output.ts";

const root = mkdtempSync(join(tmpdir(), "cudaseal-atomic-"));
after(() => rmSync(root, { recursive: true, force: true }));

function fresh(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  return dir;
}

test("withTempDir creates the output, and the temporary is gone", async () => {
  const parent = fresh("dir-new");
  const out = join(parent, "layout");
  const got = await withTempDir(out, async (tmp) => {
    assert.notEqual(tmp, out);
    writeFileSync(join(tmp, "a"), "1");
    return 42;
  });
  assert.equal(got, 42);
  assert.equal(readFileSync(join(out, "a"), "utf8"), "1");
  assert.deepEqual(readdirSync(parent), ["layout"]);
});

test("withTempDir replaces an existing output whole", async () => {
  const parent = fresh("dir-replace");
  const out = join(parent, "layout");
  mkdirSync(out);
  writeFileSync(join(out, "old"), "old");
  await withTempDir(out, async (tmp) => writeFileSync(join(tmp, "new"), "new"));
  assert.deepEqual(readdirSync(out), ["new"]);
  assert.deepEqual(readdirSync(parent), ["layout"]);
});

test("withTempDir leaves an existing output untouched when the writer fails", async () => {
  const parent = fresh("dir-fail");
  const out = join(parent, "layout");
  mkdirSync(out);
  writeFileSync(join(out, "old"), "old");
  await assert.rejects(
    withTempDir(out, async (tmp) => {
      writeFileSync(join(tmp, "half"), "half");
      throw new CudasealError("IMAGE_INVALID", "boom");
    }),
    (err) => isCudasealError(err, "IMAGE_INVALID"),
  );
  assert.deepEqual(readdirSync(out), ["old"]);
  assert.deepEqual(readdirSync(parent), ["layout"]);
});

test("a failed system call inside the writer becomes OUTPUT_FAILED; other errors pass through", async () => {
  const parent = fresh("dir-errno");
  await assert.rejects(
    withTempDir(join(parent, "x"), async (tmp) => {
      readFileSync(join(tmp, "does-not-exist"));
    }),
    (err) => isCudasealError(err, "OUTPUT_FAILED"),
  );
  await assert.rejects(
    withTempDir(join(parent, "y"), async () => {
      throw new TypeError("a bug");
    }),
    TypeError,
  );
  assert.deepEqual(readdirSync(parent), []);
});

test("withTempFile replaces a file atomically and cleans up on failure", async () => {
  const parent = fresh("file");
  const out = join(parent, "image.tar");
  await withTempFile(out, async (tmp) => writeFileSync(tmp, "one"));
  assert.equal(readFileSync(out, "utf8"), "one");
  await assert.rejects(
    withTempFile(out, async (tmp) => {
      writeFileSync(tmp, "half");
      throw new CudasealError("OUTPUT_FAILED", "disk full");
    }),
    (err) => isCudasealError(err, "OUTPUT_FAILED"),
  );
  assert.equal(readFileSync(out, "utf8"), "one");
  await withTempFile(out, async (tmp) => writeFileSync(tmp, "two"));
  assert.equal(readFileSync(out, "utf8"), "two");
  assert.deepEqual(readdirSync(parent), ["image.tar"]);
});

test("an output that cannot be created is OUTPUT_FAILED", async () => {
  const parent = fresh("blocked");
  writeFileSync(join(parent, "file"), "");
  await assert.rejects(
    withTempDir(join(parent, "file", "layout"), async () => undefined),
    (err) => isCudasealError(err, "OUTPUT_FAILED"),
  );
  // A directory where the file should go: the final rename fails, the temporary goes.
  mkdirSync(join(parent, "dir"));
  writeFileSync(join(parent, "dir", "x"), "");
  await assert.rejects(
    withTempFile(join(parent, "dir"), async (tmp) => writeFileSync(tmp, "x")),
    (err) => isCudasealError(err, "OUTPUT_FAILED"),
  );
  assert.deepEqual(readdirSync(parent).sort(), ["dir", "file"]);
});
