// Rollback protection through the command line, across runs that share a
// cache: `lock` keeps the suite's Date, a replayed older InRelease then fails
// `lock` and `build`, --allow-rollback lets a build through, and a build from
// a lock reads no Release at all, so it neither trips nor moves the record.

import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type AptRepo, clearsign, rfc2822, startAptRepo } from "../helpers/apt-repo.ts";
import { aptRepoSpec, runCli } from "../helpers/cli.ts";

const INRELEASE = "/dists/trixie/InRelease";

describe("cudaseal and a mirror that replays an older InRelease", () => {
  let work = "";
  let repo: AptRepo | undefined;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "cudaseal-rollback-"));
    repo = await startAptRepo({
      date: new Date(Date.now() - 3600_000),
      packages: [
        { name: "hello-data", version: "1.0", arch: "all", files: { "usr/share/hello/greeting": "hi\n" } },
      ],
    });
    writeFileSync(join(work, "spec.yaml"), aptRepoSpec(repo, "hello", ["hello-data"]));
  });

  after(async () => {
    await repo?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const cache = () => join(work, "cache");
  const cli = (args: string[]) => runCli([...args, "--cache-dir", cache(), "--json"], { cwd: work });
  const kept = () => readdirSync(join(cache(), "apt-release-dates"), { recursive: true }).map(String).sort();

  test("lock and build refuse it with APT_RELEASE_ROLLBACK, --allow-rollback builds, a --lock build is untouched", async () => {
    assert.ok(repo);
    const locked = await cli(["lock", "spec.yaml", "--arch", "amd64", "-o", "lock.json"]);
    assert.equal(locked.status, 0, locked.stderr);
    const floor = kept();
    assert.equal(floor.length, 2, "one suite: its folder and its Date");

    // The mirror now serves the suite as it was ten days ago, signed by the same key.
    const releasePath = join(repo.dir, "dists", repo.suite, "Release");
    const old = readFileSync(releasePath, "utf8").replace(
      /^Date: .*$/m,
      `Date: ${rfc2822(new Date(Date.now() - 10 * 86_400_000))}`,
    );
    writeFileSync(join(repo.dir, "dists", repo.suite, "InRelease"), await clearsign(old, repo.key));

    for (const args of [
      ["lock", "spec.yaml", "--arch", "amd64"],
      ["build", "spec.yaml", "--arch", "amd64", "-o", `oci:${join(work, "refused")}:v1`],
    ]) {
      const r = await cli(args);
      assert.equal(r.status, 1, r.stderr);
      assert.equal(JSON.parse(r.stdout).error.code, "APT_RELEASE_ROLLBACK");
      assert.match(r.stderr, /--allow-rollback/);
    }

    // A lock pins every .deb by hash: its replay reads no Release, so the old one is never seen.
    const before = repo.count(INRELEASE);
    const replay = await cli([
      "build",
      "spec.yaml",
      "--arch",
      "amd64",
      "--lock",
      "lock.json",
      "-o",
      `oci:${join(work, "replayed")}:v1`,
    ]);
    assert.equal(replay.status, 0, replay.stderr);
    assert.equal(repo.count(INRELEASE), before);
    assert.deepEqual(kept(), floor);

    const allowed = await cli([
      "build",
      "spec.yaml",
      "--arch",
      "amd64",
      "--allow-rollback",
      "-o",
      `oci:${join(work, "allowed")}:v1`,
    ]);
    assert.equal(allowed.status, 0, allowed.stderr);
    // Leave to go back once does not lower the record.
    assert.deepEqual(kept(), floor);
    const again = await cli(["lock", "spec.yaml", "--arch", "amd64"]);
    assert.equal(again.status, 1, again.stderr);
    assert.equal(JSON.parse(again.stdout).error.code, "APT_RELEASE_ROLLBACK");
  });
});
