// `cudaseal build` on a disk that fills, through the real CLI: the cache on a
// small tmpfs fills while a package layer is written, and the output on one
// fills while the layout is written. Both are DISK_FULL with exit status 1,
// naming the folder that filled, and leave no output behind. A lock or
// provenance file whose disk is full is DISK_FULL too, and leaves the image
// written as it was.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, type TestContext, test } from "node:test";
import { openImage } from "../../src/source/image-source.ts";
import { type AptRepo, startAptRepo } from "../helpers/apt-repo.ts";
import { aptRepoSpec, runCli } from "../helpers/cli.ts";
import { smallDisk } from "../oci/small-disk.ts";
import { buildArgs } from "./build-args.ts";

let work: string;
let repo: AptRepo;
let spec: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), "cudaseal-disk-full-"));
  // 1.3 MB of random bytes: its .deb fits a 2 MiB cache, its .deb and its layer together do not,
  // and its layer does not fit a 1 MiB output.
  repo = await startAptRepo({
    packages: [
      {
        name: "big-data",
        version: "1.0",
        arch: "all",
        files: { "usr/share/big/blob": randomBytes(1_300_000) },
      },
    ],
  });
  spec = join(work, "spec.yaml");
  writeFileSync(spec, aptRepoSpec(repo, "big", ["big-data"]));
});

after(async () => {
  await repo?.close();
  rmSync(work, { recursive: true, force: true });
});

test("a cache disk that fills while a layer is written is DISK_FULL about the cache, exit 1, not a bug", async (t) => {
  const disk = smallDisk("2m");
  if (typeof disk === "string") {
    t.skip(disk);
    return;
  }
  t.after(() => disk.remove());
  const out = join(work, "out-cache-full");
  const r = await runCli(buildArgs(spec, disk.path, `oci:${out}`, "--json"));
  assert.equal(r.status, 1, r.stderr);
  const error = JSON.parse(r.stdout).error;
  assert.equal(error.code, "DISK_FULL");
  assert.equal(error.details.folder, "cache");
  assert.equal(error.details.stage, "layers");
  assert.equal(existsSync(out), false);
});

test("an output disk that fills while the layout is written is DISK_FULL about the output, and leaves nothing", async (t) => {
  const disk = smallDisk("1m");
  if (typeof disk === "string") {
    t.skip(disk);
    return;
  }
  t.after(() => disk.remove());
  const r = await runCli(buildArgs(spec, join(work, "cache"), `oci:${join(disk.path, "image")}`, "--json"));
  assert.equal(r.status, 1, r.stderr);
  const error = JSON.parse(r.stdout).error;
  assert.equal(error.code, "DISK_FULL");
  assert.equal(error.details.folder, "output");
  assert.deepEqual(readdirSync(disk.path), [], "no layout and no temporary");
});

/** A small disk with no room left: a filler takes every block. */
function fullDisk(t: TestContext): string | undefined {
  const disk = smallDisk("64k");
  if (typeof disk === "string") {
    t.skip(disk);
    return undefined;
  }
  t.after(() => disk.remove());
  try {
    writeFileSync(join(disk.path, "filler"), Buffer.alloc(128 * 1024));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
  }
  return disk.path;
}

for (const [flag, stage] of [
  ["--write-lock", "lock"],
  ["--provenance", "provenance"],
] as const) {
  test(`a ${stage} file whose disk is full is DISK_FULL about its folder, exit 1, and the image stays written`, async (t) => {
    const disk = fullDisk(t);
    if (disk === undefined) return;
    const out = join(work, `out-${stage}-full`);
    const r = await runCli(
      buildArgs(spec, join(work, "cache"), `oci:${out}:v1`, flag, join(disk, `${stage}.json`), "--json"),
    );
    assert.equal(r.status, 1, r.stderr);
    const error = JSON.parse(r.stdout).error;
    assert.equal(error.code, "DISK_FULL");
    assert.equal(error.details.folder, "output");
    assert.equal(error.details.stage, stage);
    assert.equal(error.details.path, disk);
    assert.deepEqual(readdirSync(disk), ["filler"], "no partial file and no temporary");
    const image = await openImage(`oci:${out}:v1`, { arch: "amd64" });
    assert.equal(image.config.architecture, "amd64");
  });
}
