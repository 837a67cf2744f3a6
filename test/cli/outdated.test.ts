// `cudaseal outdated` end to end: a real signed archive on 127.0.0.1 whose
// security suite (a second signed repository) holds a fixed libfoo, a
// tracker file naming the CVE that fix closes, a lock made before the fix,
// and the image built from it. The report, the exit status, and the written
// lock that `build --lock` accepts are checked.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parseLock } from "../../src/resolve/index.ts";
import { type AptRepo, startAptRepo } from "../helpers/apt-repo.ts";
import { runCli } from "../helpers/cli.ts";

let work: string;
let main: AptRepo;
let security: AptRepo;
let oldSpec: string;
let newSpec: string;
let tracker: string;
let oldLock: string;
/** No network: every run's feed URL points at a closed local port. */
const env = () => ({ CUDASEAL_CACHE_DIR: join(work, "cache"), CUDASEAL_DB_URL: "http://127.0.0.1:9/json" });

const FIXED = "1.0-1+deb13u1";

before(async () => {
  work = mkdtempSync(join(tmpdir(), "cudaseal-outdated-"));
  main = await startAptRepo({
    packages: [
      {
        name: "libfoo1",
        version: "1.0-1",
        fields: { Source: "foo" },
        files: { "usr/lib/libfoo.txt": "1.0\n" },
      },
      {
        name: "app",
        version: "2.0",
        arch: "all",
        fields: { Depends: "libfoo1 (>= 1.0)" },
        files: { "usr/share/app/README": "app\n" },
      },
    ],
  });
  security = await startAptRepo({
    suite: "trixie-security",
    packages: [
      {
        name: "libfoo1",
        version: FIXED,
        fields: { Source: "foo" },
        files: { "usr/lib/libfoo.txt": "fixed\n" },
      },
    ],
  });
  const source = (repo: AptRepo) =>
    `  - uri: ${repo.url}\n    suites: [${repo.suite}]\n    components: [main]\n    keyring: [${repo.publicKeyPath}]\n`;
  oldSpec = join(work, "old.yaml");
  newSpec = join(work, "new.yaml");
  writeFileSync(oldSpec, `name: app\narchs: [amd64]\npackages: [app]\nsources:\n${source(main)}`);
  writeFileSync(
    newSpec,
    `name: app\narchs: [amd64]\npackages: [app]\nsources:\n${source(main)}${source(security)}`,
  );
  tracker = join(work, "tracker.json");
  const entry = (fixed: string, urgency: string) => ({
    releases: {
      trixie: { status: "resolved", fixed_version: fixed, urgency, repositories: { trixie: fixed } },
    },
  });
  writeFileSync(
    tracker,
    JSON.stringify({
      foo: {
        "CVE-2026-1000": { description: "foo: heap overflow", scope: "remote", ...entry(FIXED, "high") },
        // Fixed in a version the archive does not offer yet: the update does not fix it.
        "CVE-2026-1001": { description: "foo: later fix", scope: "local", ...entry("1.0-2", "medium") },
        // Fixed long before the locked version: not this update's doing.
        "CVE-2020-0001": { description: "foo: old", scope: "local", ...entry("0.9-1", "low") },
      },
    }),
  );
  oldLock = join(work, "old.lock.json");
  const locked = await runCli(["lock", oldSpec, "-o", oldLock], { env: env() });
  assert.equal(locked.status, 0, locked.stderr);
});

after(async () => {
  await main?.close();
  await security?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

test("a lock whose package has a fix in the security suite exits 1 and names the update and the CVE it fixes", async () => {
  const result = await runCli(["outdated", oldLock, "--spec", newSpec, "--db", tracker, "--json"], {
    env: env(),
  });
  assert.equal(result.status, 1, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.equal(report.kind, "lock");
  assert.equal(report.release, "trixie");
  assert.equal(report.securityUpdates, 1);
  assert.equal(report.updates.length, 1);
  const [update] = report.updates;
  assert.equal(update.name, "libfoo1");
  assert.equal(update.arch, "amd64");
  assert.equal(update.installed, "1.0-1");
  assert.equal(update.candidate, FIXED);
  assert.equal(update.suite, "trixie-security");
  assert.equal(update.security, true);
  assert.deepEqual(
    update.fixes.map((f: { id: string; severity: string }) => [f.id, f.severity]),
    [["CVE-2026-1000", "high"]],
  );
  assert.equal(report.lock, undefined, "the new lock is --write-lock's, not the report's");
});

test("the table names the package, both versions, the suite and the CVE", async () => {
  const result = await runCli(["outdated", oldLock, "--spec", newSpec, "--db", tracker], { env: env() });
  assert.equal(result.status, 1, result.stderr);
  assert.match(
    result.stdout,
    /^libfoo1\s+amd64\s+1\.0-1\s+1\.0-1\+deb13u1\s+trixie-security\s+yes\s+CVE-2026-1000 \(high\)$/m,
  );
  assert.match(result.stdout, /1 update, 1 for security, fixing 1 known vulnerability/);
  const md = await runCli(["outdated", oldLock, "--spec", newSpec, "--db", tracker, "--format", "markdown"], {
    env: env(),
  });
  assert.equal(md.status, 1, md.stderr);
  assert.match(
    md.stdout,
    /\| libfoo1 \| 1\.0-1 \| 1\.0-1\+deb13u1 \| trixie-security \| \*\*yes\*\* \| CVE-2026-1000 \(high\) \|/,
  );
});

test("--write-lock writes a lock that build --lock replays, the same bytes each time, and that lock is up to date", async () => {
  const first = join(work, "new.lock.json");
  const second = join(work, "new-again.lock.json");
  const a = await runCli(["outdated", oldLock, "--spec", newSpec, "--no-cves", "--write-lock", first], {
    env: env(),
  });
  // Without CVE data the security suite alone makes it a security update.
  assert.equal(a.status, 1, a.stderr);
  const b = await runCli(["outdated", oldLock, "--spec", newSpec, "--no-cves", "--write-lock", second], {
    env: env(),
  });
  assert.equal(b.status, 1, b.stderr);
  const text = readFileSync(first, "utf8");
  assert.equal(readFileSync(second, "utf8"), text);
  const lock = parseLock(text);
  const libfoo = lock.arches.amd64.find((p) => p.name === "libfoo1");
  assert.equal(libfoo?.version, FIXED);
  assert.match(libfoo?.repository ?? "", / trixie-security main$/);
  assert.deepEqual(lock.request, parseLock(readFileSync(oldLock, "utf8")).request);

  const out = join(work, "image-new");
  const built = await runCli(["build", newSpec, "--lock", first, "-o", `oci:${out}`], { env: env() });
  assert.equal(built.status, 0, built.stderr);

  const third = join(work, "unchanged.lock.json");
  const again = await runCli(
    ["outdated", first, "--spec", newSpec, "--db", tracker, "--json", "--write-lock", third],
    { env: env() },
  );
  assert.equal(again.status, 0, again.stderr);
  assert.equal(readFileSync(third, "utf8"), text, "an up-to-date lock is written back byte for byte");
  const report = JSON.parse(again.stdout);
  assert.deepEqual(report.updates, []);
  assert.equal(report.securityUpdates, 0);
});

test("an image built from the old lock reports the same update from its package database", async () => {
  const out = join(work, "image-old");
  const built = await runCli(["build", oldSpec, "--lock", oldLock, "-o", `oci:${out}`], { env: env() });
  assert.equal(built.status, 0, built.stderr);
  const result = await runCli(
    ["outdated", `oci:${out}`, "--spec", newSpec, "--release", "trixie", "--db", tracker, "--json"],
    { env: env() },
  );
  assert.equal(result.status, 1, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.equal(report.kind, "image");
  assert.deepEqual(
    report.updates.map((u: { name: string; candidate: string; fixes: { id: string }[] }) => [
      u.name,
      u.candidate,
      u.fixes.map((f) => f.id),
    ]),
    [["libfoo1", FIXED, ["CVE-2026-1000"]]],
  );
  const writing = await runCli(
    ["outdated", `oci:${out}`, "--spec", newSpec, "--write-lock", join(work, "x.json")],
    {
      env: env(),
    },
  );
  assert.equal(writing.status, 2, writing.stderr);
});

test("with only the archive the lock came from, nothing is outdated and the exit status is 0", async () => {
  const result = await runCli(["outdated", oldLock, "--spec", oldSpec, "--db", tracker], { env: env() });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /up to date \(Debian trixie\)/);
});

test("--offline answers from what the cache kept of both suites, and makes no request", async () => {
  const before =
    main.count(`/dists/${main.suite}/InRelease`) + security.count(`/dists/${security.suite}/InRelease`);
  const result = await runCli(
    ["outdated", oldLock, "--spec", newSpec, "--db", tracker, "--offline", "--json"],
    {
      env: env(),
    },
  );
  assert.equal(result.status, 1, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.deepEqual(
    report.updates.map((u: { name: string; candidate: string }) => [u.name, u.candidate]),
    [["libfoo1", FIXED]],
  );
  const after =
    main.count(`/dists/${main.suite}/InRelease`) + security.count(`/dists/${security.suite}/InRelease`);
  assert.equal(after, before, "no InRelease was asked for");
});

test("a lock made in another suite is resolved again in that suite, not the default one", async () => {
  const bookworm = await startAptRepo({
    suite: "bookworm",
    packages: [{ name: "libbar1", version: "2.0-1", files: { "usr/lib/libbar.txt": "2.0\n" } }],
  });
  try {
    // No suites: in the spec's source, so the suite comes from --suite, or from the lock.
    const spec = join(work, "bookworm.yaml");
    writeFileSync(
      spec,
      `name: bar\narchs: [amd64]\npackages: [libbar1]\nsources:\n  - uri: ${bookworm.url}\n    components: [main]\n    keyring: [${bookworm.publicKeyPath}]\n`,
    );
    const lock = join(work, "bookworm.lock.json");
    const locked = await runCli(["lock", spec, "--suite", "bookworm", "-o", lock], { env: env() });
    assert.equal(locked.status, 0, locked.stderr);
    const result = await runCli(["outdated", lock, "--spec", spec, "--no-cves", "--json"], { env: env() });
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.equal(report.release, "bookworm");
    assert.deepEqual(report.updates, []);
    assert.deepEqual(report.removed, []);
  } finally {
    await bookworm.close();
  }
});
