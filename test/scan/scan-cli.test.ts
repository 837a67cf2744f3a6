// `cudaseal scan` end to end: real OCI layouts written by the project's
// writer, the tracker's JSON and OSV records on disk, exit codes and output.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { makeLayer, platformImage } from "../oci/fixture-image.ts";
import { makeImages } from "../source/fixture.ts";
import { OSV_RECORDS, TRACKER } from "./fixture.ts";

const BIN = new URL("../../bin/cudaseal.js", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "cudaseal-scan-cli-"));
const tracker = join(dir, "tracker.json");
const osvDir = join(dir, "osv");
/** The source fixture image, which has no os-release. */
const plain = `oci:${join(dir, "plain")}`;
/** The same image with a Debian 12 os-release on top. */
const bookworm = `oci:${join(dir, "bookworm")}`;
const ubuntu = `oci:${join(dir, "ubuntu")}`;

before(async () => {
  writeFileSync(tracker, JSON.stringify(TRACKER));
  mkdirSync(osvDir);
  for (const [i, r] of OSV_RECORDS.entries()) writeFileSync(join(osvDir, `${i}.json`), JSON.stringify(r));
  const { single } = makeImages(dir);
  await writeOciLayout(join(dir, "plain"), single);
  const withOs = (name: string, text: string) => ({
    ...single,
    platforms: [
      platformImage("amd64", [
        ...single.platforms[0].layers,
        makeLayer(dir, name, { "etc/os-release": text }),
      ]),
    ],
  });
  await writeOciLayout(
    join(dir, "bookworm"),
    withOs("os", 'PRETTY_NAME="Debian GNU/Linux 12"\nID=debian\nVERSION_ID="12"\n'),
  );
  await writeOciLayout(
    join(dir, "ubuntu"),
    withOs("ubuntu", "ID=ubuntu\nVERSION_ID=24.04\nVERSION_CODENAME=noble\n"),
  );
});
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]) {
  return spawnSync(process.execPath, [BIN, "scan", ...args], { encoding: "utf8" });
}

test("the release comes from os-release, and the table lists every finding", () => {
  const r = cli([bookworm, "--db", tracker, "--arch", "amd64"]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  assert.match(lines[0], /^ID\s+PACKAGE\s+INSTALLED\s+FIXED\s+SEVERITY\s+STATUS$/);
  assert.equal(lines.length, 10);
  assert.match(lines[1], /^CVE-2024-0001\s+libc6\s+2\.36-9\+deb12u4\+b1\s+2\.36-9\+deb12u7\s+high\s+fixed$/);
  assert.match(r.stderr, /9 findings in 3 packages \(Debian bookworm\)/);
});

test("--format json prints the findings; --release names the release of an image without os-release", () => {
  const r = cli([plain, "--db", tracker, "--arch", "amd64", "--release", "bookworm", "--format", "json"]);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.release, "bookworm");
  assert.equal(doc.packages, 3);
  assert.deepEqual(doc.summary, { critical: 0, high: 1, medium: 2, low: 3, negligible: 1, unknown: 2 });
  assert.deepEqual(
    doc.findings.map(
      (f: { id: string; package: string; status: string }) => `${f.id} ${f.package} ${f.status}`,
    ),
    [
      "CVE-2024-0001 libc6 fixed",
      "CVE-2024-0010 tzdata fixed",
      "CVE-2024-0012 tzdata wont-fix",
      "CVE-2024-0005 libc6 wont-fix",
      "CVE-2024-0020 base-files fixed",
      "CVE-2024-0022 base-files fixed",
      "CVE-2024-0004 libc6 open",
      "CVE-2024-0011 tzdata wont-fix",
      "TEMP-0000000-ABCDEF libc6 open",
    ],
  );
  const json = cli([plain, "--db", tracker, "--arch", "amd64", "--release", "bookworm", "--json"]);
  assert.deepEqual(JSON.parse(json.stdout), doc);
});

test("--fail-on exits 1 with a reason when the gate fails, 0 when it passes", () => {
  const args = [bookworm, "--db", tracker, "--arch", "amd64", "--format", "json"];
  const high = cli([...args, "--fail-on", "high"]);
  assert.equal(high.status, 1);
  assert.match(high.stderr, /scan failed: 1 findings of severity high or worse/);
  assert.equal(JSON.parse(high.stdout).findings.length, 9, "the report is printed before the verdict");
  const critical = cli([...args, "--fail-on", "critical"]);
  assert.equal(critical.status, 0, critical.stderr);
  assert.doesNotMatch(critical.stderr, /scan failed/);
  // Low or worse: besides the fixable ones, wont-fix low and medium findings count.
  assert.equal(cli([...args, "--fail-on", "low"]).status, 1);
  const fixed = cli([...args, "--fail-on", "medium", "--only-fixed"]);
  assert.equal(fixed.status, 1);
  assert.match(fixed.stderr, /scan failed: 2 fixable findings of severity medium or worse/);
});

test("--only-fixed lets a gate pass when nothing at that severity can be fixed yet", () => {
  const r = cli([bookworm, "--db", osvDir, "--arch", "amd64", "--fail-on", "high", "--only-fixed", "--json"]);
  // The OSV data has one fixable high finding.
  assert.equal(r.status, 1);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(
    doc.findings.map((f: { id: string; status: string }) => `${f.id} ${f.status}`),
    ["DSA-5000-1 fixed", "DEBIAN-CVE-2024-0040 open"],
  );
  const openOnly = join(dir, "open-only.json");
  writeFileSync(openOnly, JSON.stringify([OSV_RECORDS[1]]));
  const withSeverity = join(dir, "open-high.json");
  writeFileSync(
    withSeverity,
    JSON.stringify([{ ...OSV_RECORDS[1], database_specific: { severity: "HIGH" } }]),
  );
  assert.equal(cli([bookworm, "--db", withSeverity, "--arch", "amd64", "--fail-on", "high"]).status, 1);
  const passes = cli([
    bookworm,
    "--db",
    withSeverity,
    "--arch",
    "amd64",
    "--fail-on",
    "high",
    "--only-fixed",
  ]);
  assert.equal(passes.status, 0, passes.stderr);
  assert.equal(cli([bookworm, "--db", openOnly, "--arch", "amd64", "--fail-on", "low"]).status, 0);
});

test("usage and data errors have their codes", () => {
  const noDb = cli([bookworm]);
  assert.equal(noDb.status, 2);
  assert.match(
    noDb.stderr,
    /error \[USAGE\]: downloading the Debian Security Tracker data is not implemented yet/,
  );
  assert.match(noDb.stderr, /--db/);
  assert.equal(cli(["--db", tracker]).status, 2);
  assert.equal(cli([bookworm, "--db", tracker, "--fail-on", "severe"]).status, 2);
  assert.equal(cli([bookworm, "--db", tracker, "--format", "xml"]).status, 2);
  const notJson = join(dir, "bad.json");
  writeFileSync(notJson, "<html>");
  const bad = cli([bookworm, "--db", notJson, "--arch", "amd64", "--json"]);
  assert.equal(bad.status, 1);
  assert.equal(JSON.parse(bad.stdout).error.code, "CONFIG_INVALID");
  const noRelease = cli([plain, "--db", tracker, "--arch", "amd64", "--json"]);
  assert.equal(noRelease.status, 1);
  assert.equal(JSON.parse(noRelease.stdout).error.code, "IMAGE_INVALID");
  assert.match(noRelease.stderr, /--release/);
  const notDebian = cli([ubuntu, "--db", tracker, "--arch", "amd64", "--json"]);
  assert.equal(notDebian.status, 1);
  assert.equal(JSON.parse(notDebian.stdout).error.code, "IMAGE_INVALID");
});
