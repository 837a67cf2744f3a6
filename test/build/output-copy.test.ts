// A written image owes nothing to the cache it was built from: its layer
// files are copies, so a cache entry changed in place afterwards (by a disk
// error, another tool, a careless clean-up) leaves the image as it was.

import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type AptRepo, startAptRepo } from "../helpers/apt-repo.ts";
import { aptRepoSpec, runCli } from "../helpers/cli.ts";
import { checkLayout } from "../oci/layout-check.ts";

let work: string;
let repo: AptRepo;

before(async () => {
  work = mkdtempSync(join(tmpdir(), "cudaseal-output-copy-"));
  repo = await startAptRepo({
    packages: [
      { name: "hello-data", version: "1.0", arch: "all", files: { "usr/share/hello/greeting": "hello\n" } },
    ],
  });
});

after(async () => {
  await repo?.close();
  rmSync(work, { recursive: true, force: true });
});

test("changing the cache's files after a build does not change the written image: its blobs still hash to their names", async () => {
  const spec = join(work, "spec.yaml");
  writeFileSync(spec, aptRepoSpec(repo, "hello", ["hello-data"]));
  const cache = join(work, "cache");
  const out = join(work, "out");
  const r = await runCli(["build", spec, "--arch", "amd64", "--cache-dir", cache, "-o", `oci:${out}:v1`]);
  assert.equal(r.status, 0, r.stderr);
  const layers = readdirSync(join(out, "blobs", "sha256"));
  let changed = 0;
  for (const shard of readdirSync(join(cache, "sha256")))
    for (const name of readdirSync(join(cache, "sha256", shard)))
      if (layers.includes(name)) {
        // In place: the same inode with other bytes, as a hardlinked output would show them.
        writeFileSync(join(cache, "sha256", shard, name), "changed after the build");
        changed++;
      }
  assert.ok(changed >= 3, "the skeleton, package and system layers live in the cache");
  checkLayout(out);
});
