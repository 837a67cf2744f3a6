// The static helpers compiled by the real gcc into a real cache directory.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { staticBinary } from "../../src/native/static-binary.ts";

const gccMissing = spawnSync("gcc", ["--version"]).error !== undefined ? "gcc is not installed" : false;

describe("staticBinary", { skip: gccMissing }, () => {
  const cacheDir = mkdtempSync(join(tmpdir(), "cudaseal-native-"));
  after(async () => {
    await rm(cacheDir, { recursive: true, force: true });
  });

  test("compiles once, static, and answers from the cache after", async () => {
    const first = await staticBinary("cudaseal-entry", { cacheDir });
    const mtime = statSync(first).mtimeMs;
    const again = await staticBinary("cudaseal-entry", { cacheDir });
    assert.equal(again, first);
    assert.equal(statSync(again).mtimeMs, mtime);
    assert.doesNotMatch(spawnSync("readelf", ["-l", first], { encoding: "utf8" }).stdout, /INTERP/);
    assert.deepEqual(
      readdirSync(join(cacheDir, "native")).filter((n) => n.includes(".tmp.")),
      [],
    );
    // It runs its target with the arguments unchanged.
    const r = spawnSync(first, ["/bin/echo", "a b", "c"], {
      encoding: "utf8",
      env: { CUDASEAL_ENTRY_QUIET: "1" },
    });
    assert.equal(r.stdout, "a b c\n");
    assert.equal(r.stderr, "");
  });

  test("a missing compiler or an unknown architecture is NATIVE_BUILD_FAILED", async () => {
    await assert.rejects(staticBinary("cudaseal-launch", { cacheDir, cc: "no-such-gcc" }), (err) =>
      isCudasealError(err, "NATIVE_BUILD_FAILED"),
    );
    await assert.rejects(staticBinary("cudaseal-launch", { cacheDir, arch: "riscv64" }), (err) =>
      isCudasealError(err, "NATIVE_BUILD_FAILED"),
    );
  });

  test("a host with no compiler uses the same source compiled elsewhere, carried in the cache", async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), "cudaseal-native-elsewhere-"));
    try {
      const built = await staticBinary("cudaseal-launch", { cacheDir: elsewhere });
      const found = await staticBinary("cudaseal-launch", { cacheDir: elsewhere, cc: "no-such-gcc" });
      assert.equal(found, built);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });
});
