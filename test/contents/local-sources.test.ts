// The user's own files named in a spec's contents: a tarball that is a FIFO
// is refused before it is hashed or unpacked, and `trim: elf` reads a large
// local file as a stream, never whole.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { contentsLayerEntries } from "../../src/contents/contents-layer.ts";
import { isCudasealError } from "../../src/errors.ts";
import { PathPolicy } from "../../src/layer/path-policy.ts";
import { scanLocalContents } from "../../src/trim/scan.ts";
import { peakGrowth } from "../helpers/memory.ts";

const root = mkdtempSync(join(tmpdir(), "cudaseal-local-sources-"));
after(() => rmSync(root, { recursive: true, force: true }));

test("a contents tarball that is a FIFO is INPUT_NOT_REGULAR at once, never waited on", {
  timeout: 10_000,
}, async () => {
  const fifo = join(root, "app.tar");
  assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
  await assert.rejects(
    contentsLayerEntries([{ tarball: fifo, destination: "/opt/app" }], {
      arch: "amd64",
      mtime: 0,
      policy: new PathPolicy(),
    }),
    (err) => isCudasealError(err, "INPUT_NOT_REGULAR"),
  );
});

test("trim reads a 300 MB local file as a stream: it is never held whole", async () => {
  const dir = join(root, "app");
  mkdirSync(dir);
  writeFileSync(join(dir, "model.bin"), "");
  truncateSync(join(dir, "model.bin"), 300 * 1000 * 1000);
  const into = { files: new Map(), symlinks: new Map() };
  const { peak } = await peakGrowth(() =>
    scanLocalContents([{ source: dir, destination: "/opt/app" }], into),
  );
  assert.equal(into.files.get("opt/app/model.bin"), null, "not an ELF file");
  assert.ok(peak < 64 * 1024 * 1024, `grew by ${peak} bytes`);
});
