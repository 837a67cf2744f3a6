// Local files read under a cap: devices, FIFOs and directories are refused
// before a byte is read, a file past the cap by its size, and a file whose
// size says nothing (under /proc) is still stopped one byte past the cap.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { openRegularFile, readRegularFile, readRegularFileSync } from "../../src/util/read-regular-file.ts";
import { peakGrowth } from "../helpers/memory.ts";

const dir = mkdtempSync(join(tmpdir(), "cudaseal-regular-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const fifo = join(dir, "fifo");
assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
const small = join(dir, "small");
writeFileSync(small, "0123456789");

const limit = (max: number) => ({ what: "test input", max });
const readBoth = [
  ["readRegularFile", (path: string, max: number) => readRegularFile(path, limit(max))],
  ["readRegularFileSync", async (path: string, max: number) => readRegularFileSync(path, limit(max))],
] as const;

function code(expected: string) {
  return (err: unknown) => {
    assert.ok(isCudasealError(err), String(err));
    assert.equal(err.code, expected, err.message);
    return true;
  };
}

for (const [name, read] of readBoth) {
  test(`${name}: /dev/zero is INPUT_NOT_REGULAR, and nothing of it is read`, async () => {
    const { peak } = await peakGrowth(() =>
      assert.rejects(read("/dev/zero", 1 << 30), code("INPUT_NOT_REGULAR")),
    );
    assert.ok(peak < 1 << 20, `grew by ${peak} bytes`);
  });

  test(`${name}: a FIFO no writer ever opens is INPUT_NOT_REGULAR at once, without blocking`, async () => {
    const started = Date.now();
    await assert.rejects(read(fifo, 1024), code("INPUT_NOT_REGULAR"));
    assert.ok(Date.now() - started < 2000);
  });

  test(`${name}: a symlink to a device is refused like the device; one to a regular file is read`, async () => {
    const toZero = join(dir, `${name}-zero`);
    const toSmall = join(dir, `${name}-small`);
    symlinkSync("/dev/zero", toZero);
    symlinkSync(small, toSmall);
    await assert.rejects(read(toZero, 1024), code("INPUT_NOT_REGULAR"));
    assert.equal((await read(toSmall, 1024)).toString(), "0123456789");
  });

  test(`${name}: a directory is INPUT_NOT_REGULAR`, async () => {
    await assert.rejects(read(dir, 1024), code("INPUT_NOT_REGULAR"));
  });

  test(`${name}: a file exactly at the cap is read whole; one byte over is INPUT_TOO_LARGE`, async () => {
    assert.equal((await read(small, 10)).toString(), "0123456789");
    await assert.rejects(read(small, 9), code("INPUT_TOO_LARGE"));
  });

  test(`${name}: a 300 MB sparse file is refused by its size, without reading it`, async () => {
    const sparse = join(dir, `${name}-sparse`);
    writeFileSync(sparse, "");
    truncateSync(sparse, 300 * 1000 * 1000);
    const started = Date.now();
    const { peak } = await peakGrowth(() => assert.rejects(read(sparse, 1 << 20), code("INPUT_TOO_LARGE")));
    assert.ok(peak < 1 << 20, `grew by ${peak} bytes`);
    assert.ok(Date.now() - started < 2000);
  });

  test(`${name}: a file whose size on disk says 0 (under /proc) is read, and stopped one byte past the cap`, async () => {
    assert.match((await read("/proc/self/status", 1 << 20)).toString(), /^Name:/);
    await assert.rejects(read("/proc/self/status", 16), (err) => {
      assert.ok(isCudasealError(err, "INPUT_TOO_LARGE"));
      assert.equal(err.details?.size, 17);
      return true;
    });
  });

  test(`${name}: a missing file is the file system's ENOENT, for the caller to word`, async () => {
    await assert.rejects(
      read(join(dir, "missing"), 1024),
      (err) => (err as NodeJS.ErrnoException).code === "ENOENT",
    );
  });
}

test("openRegularFile refuses a FIFO at once and opens a regular file with its size", async () => {
  await assert.rejects(openRegularFile(fifo, "test input"), code("INPUT_NOT_REGULAR"));
  const { handle, size } = await openRegularFile(small, "test input");
  try {
    assert.equal(size, 10);
  } finally {
    await handle.close();
  }
});

test("the error names what the file is for and its path", async () => {
  await assert.rejects(readRegularFile("/dev/null", { what: "signing key", max: 1024 }), (err) => {
    assert.ok(isCudasealError(err, "INPUT_NOT_REGULAR"));
    assert.deepEqual(err.details, { path: "/dev/null", what: "signing key", kind: "a character device" });
    return true;
  });
});
