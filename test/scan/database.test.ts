import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { loadDatabase } from "../../src/scan/database.ts";
import { OSV_RECORDS, TRACKER } from "./fixture.ts";

const dir = mkdtempSync(join(tmpdir(), "cudaseal-scan-db-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

test("the tracker's JSON, one OSV record, an array, and a directory are told apart", async () => {
  const tracker = await loadDatabase(write("tracker.json", JSON.stringify(TRACKER)), { release: "bookworm" });
  assert.equal(tracker.format, "debian-tracker");
  assert.ok(tracker.advisories.every((a) => a.release === "bookworm"));
  const one = await loadDatabase(write("one.json", JSON.stringify(OSV_RECORDS[0])));
  assert.equal(one.format, "osv");
  assert.equal(one.advisories.length, 2);
  const array = await loadDatabase(write("all.json", JSON.stringify(OSV_RECORDS)), { release: "bookworm" });
  assert.deepEqual(
    array.advisories.map((a) => a.id),
    ["DSA-5000-1", "DEBIAN-CVE-2024-0040", "DEBIAN-CVE-2024-0041", "DEBIAN-CVE-2024-0042"],
  );
  const osvDir = join(dir, "osv");
  mkdirSync(osvDir);
  for (const [i, r] of OSV_RECORDS.entries()) writeFileSync(join(osvDir, `${i}.json`), JSON.stringify(r));
  writeFileSync(join(osvDir, "README.md"), "not a record");
  writeFileSync(join(osvDir, "junk.json"), '{"hello": 1}');
  const fromDir = await loadDatabase(osvDir, { release: "bookworm" });
  assert.equal(fromDir.format, "osv");
  assert.deepEqual(fromDir.advisories, array.advisories);
});

test("a file that is not JSON, not an object or missing is CONFIG_INVALID; one too large INPUT_TOO_LARGE, a FIFO INPUT_NOT_REGULAR", async () => {
  const cases = [
    () => loadDatabase(write("bad.json", "{not json")),
    () => loadDatabase(write("scalar.json", "42")),
    () => loadDatabase(write("null.json", "null")),
    () => loadDatabase(join(dir, "missing.json")),
  ];
  for (const load of cases) await assert.rejects(load, (err) => isCudasealError(err, "CONFIG_INVALID"));
  await assert.rejects(
    loadDatabase(write("big.json", JSON.stringify(TRACKER)), { maxFileSize: 100 }),
    (err) => isCudasealError(err, "INPUT_TOO_LARGE"),
  );
  const fifo = join(dir, "fifo.json");
  assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
  await assert.rejects(loadDatabase(fifo), (err) => isCudasealError(err, "INPUT_NOT_REGULAR"));
  await assert.rejects(loadDatabase(join(dir, "osv"), { maxFiles: 2 }), (err) =>
    isCudasealError(err, "CONFIG_INVALID"),
  );
});
