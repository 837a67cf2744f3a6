// The record of the newest time seen per name: real processes writing it at
// once must leave the newest value, and a damaged record must neither lower
// it nor be quietly taken as empty.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { NewestSeen } from "../../src/cache/newest-seen.ts";
import { isCudasealError } from "../../src/errors.ts";

const run = promisify(execFile);
const MODULE = new URL("../../src/cache/newest-seen.ts", import.meta.url).href;

async function tempRoot(t: test.TestContext): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "cudaseal-newest-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  return root;
}

test("the newest of several records is kept, an older one does not lower it", async (t) => {
  const seen = new NewestSeen(await tempRoot(t));
  assert.equal(await seen.newest("trixie"), undefined);
  await seen.record("trixie", 1_700_000_000);
  await seen.record("trixie", 1_700_000_500);
  await seen.record("trixie", 1_600_000_000);
  await seen.record("trixie", 1_700_000_500);
  assert.equal(await seen.newest("trixie"), 1_700_000_500);
  assert.equal(await seen.newest("bookworm"), undefined);
});

test("processes recording at once leave the newest value and nothing older", async (t) => {
  const root = await tempRoot(t);
  const script = join(root, "writer.mjs");
  // Each process records its share of 1..160 in a shuffled order, all at once, and a name of its own.
  await writeFile(
    script,
    `import { NewestSeen } from ${JSON.stringify(MODULE)};
const [root, id, processes] = process.argv.slice(2).map((a, i) => (i === 0 ? a : Number(a)));
const seen = new NewestSeen(root);
const mine = [];
for (let v = 1 + id; v <= 160; v += processes) mine.push(v);
mine.sort(() => Math.random() - 0.5);
await Promise.all([...mine.map((v) => seen.record("shared", v)), seen.record("own-" + id, 1000 + id)]);
`,
  );
  const processes = 4;
  await Promise.all(
    Array.from({ length: processes }, (_, id) =>
      run(process.execPath, [script, join(root, "state"), String(id), String(processes)]),
    ),
  );
  const seen = new NewestSeen(join(root, "state"));
  assert.equal(await seen.newest("shared"), 160);
  for (let id = 0; id < processes; id++) assert.equal(await seen.newest(`own-${id}`), 1000 + id);
  // Every writer removes what is older than the newest it sees, so only the newest is left.
  const dirs = await readdir(join(root, "state"));
  const entries = (await Promise.all(dirs.map((d) => readdir(join(root, "state", d))))).map((e) => e.length);
  assert.deepEqual(entries, Array(processes + 1).fill(1));
});

test("entries that are not numbers are ignored; a record that cannot be read is CACHE_CORRUPT", async (t) => {
  const root = await tempRoot(t);
  const seen = new NewestSeen(root);
  await seen.record("trixie", 1_700_000_000);
  const [dir] = await readdir(root);
  for (const junk of ["junk", "17000000009x", "9999999999999999999", "1800000000.tmp"]) {
    await writeFile(join(root, dir, junk), "");
  }
  assert.equal(await seen.newest("trixie"), 1_700_000_000);

  // The record's folder replaced by a file: not taken as "nothing seen".
  await rm(join(root, dir), { recursive: true });
  await writeFile(join(root, dir), "damaged");
  await assert.rejects(seen.newest("trixie"), (err) => isCudasealError(err, "CACHE_CORRUPT"));
  await assert.rejects(seen.record("trixie", 1_700_000_001), (err) => isCudasealError(err, "CACHE_CORRUPT"));
});
