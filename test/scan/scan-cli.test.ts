// `cudaseal scan` end to end: real OCI layouts written by the project's
// writer, the tracker's JSON and OSV records on disk or served by a real HTTP
// server on 127.0.0.1, VEX and ignore files, exit codes and output. Every run
// gets its own cache dir and a feed URL on a closed local port, so no test
// can reach the network.

import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { makeLayer, platformImage } from "../oci/fixture-image.ts";
import { makeImages } from "../source/fixture.ts";
import { OSV_RECORDS, TRACKER, vexDocument } from "./fixture.ts";
import { startTrackerServer, type TrackerServer } from "./tracker-server.ts";

const BIN = new URL("../../bin/cudaseal.js", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "cudaseal-scan-cli-"));
const tracker = join(dir, "tracker.json");
const osvDir = join(dir, "osv");
/** The source fixture image, which has no os-release. */
const plain = `oci:${join(dir, "plain")}`;
/** The same image with a Debian 12 os-release on top. */
const bookworm = `oci:${join(dir, "bookworm")}`;
const ubuntu = `oci:${join(dir, "ubuntu")}`;
/** A two-platform (amd64, arm64) Debian 12 image: index.json → image index → manifests. */
const multiBookworm = `oci:${join(dir, "multi-bookworm")}:v1`;
let server: TrackerServer;
/** No network: the default cache and feed of every run point into the test dir and at a closed port. */
const ENV = {
  ...process.env,
  CUDASEAL_CACHE_DIR: join(dir, "cache"),
  CUDASEAL_DB_URL: "http://127.0.0.1:9/json",
};

before(async () => {
  server = await startTrackerServer(JSON.stringify(TRACKER));
  writeFileSync(tracker, JSON.stringify(TRACKER));
  mkdirSync(osvDir);
  for (const [i, r] of OSV_RECORDS.entries()) writeFileSync(join(osvDir, `${i}.json`), JSON.stringify(r));
  const { single, multi } = makeImages(dir);
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
  const os = makeLayer(dir, "os-multi", { "etc/os-release": 'ID=debian\nVERSION_ID="12"\n' });
  await writeOciLayout(join(dir, "multi-bookworm"), {
    ...multi,
    platforms: multi.platforms.map((p, i) => platformImage(i === 0 ? "amd64" : "arm64", [...p.layers, os])),
  });
  await writeOciLayout(
    join(dir, "ubuntu"),
    withOs("ubuntu", "ID=ubuntu\nVERSION_ID=24.04\nVERSION_CODENAME=noble\n"),
  );
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[]) {
  return spawnSync(process.execPath, [BIN, "scan", ...args], { encoding: "utf8", env: ENV });
}

/** cli, without blocking this process: the server answering it lives here. */
function cliAsync(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, "scan", ...args], { env: ENV }, (err, stdout, stderr) =>
      resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test("the release comes from os-release, and the table lists every finding", () => {
  const r = cli([bookworm, "--db", tracker, "--arch", "amd64"]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  assert.match(lines[0], /^ID\s+PACKAGE\s+INSTALLED\s+FIXED\s+SEVERITY\s+STATUS$/);
  assert.equal(lines.length, 12);
  assert.match(lines[1], /^CVE-2024-0001\s+libc6\s+2\.36-9\+deb12u4\+b1\s+2\.36-9\+deb12u7\s+high\s+fixed$/);
  assert.equal(lines[10], "");
  assert.equal(lines[11], `Database: debian-tracker from ${tracker}`);
  assert.match(r.stderr, /9 findings in 3 packages \(Debian bookworm\)/);
});

test("--format markdown prints the summary, and the gate still decides the exit status", () => {
  const r = cli([bookworm, "--db", tracker, "--arch", "amd64", "--format", "markdown", "--fail-on", "high"]);
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  assert.equal(lines[0], `## cudaseal scan: ${bookworm}`);
  assert.match(lines[2], /^Debian bookworm, 3 packages; data: debian-tracker from /);
  assert.ok(lines.includes("| high | 1 | 0 | 0 | 1 |"), r.stdout);
  assert.equal(lines.filter((l) => /^\| \w+ \| \[?(CVE|TEMP)-/.test(l)).length, 9);
  assert.match(r.stderr, /scan failed: 1 findings of severity high or worse/);
  assert.equal(cli([bookworm, "--db", tracker, "--format", "html"]).status, 2);
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
      "CVE-2024-0005 libc6 open",
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
  // Low or worse: besides the fixable ones, open and wont-fix low and medium findings count.
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
  const noCache = cli([bookworm, "--arch", "amd64", "--offline", "--json"]);
  assert.equal(noCache.status, 1);
  assert.equal(JSON.parse(noCache.stdout).error.code, "SCAN_DB_MISSING");
  const unreachable = cli([bookworm, "--arch", "amd64", "--json"]);
  assert.equal(unreachable.status, 1);
  assert.equal(JSON.parse(unreachable.stdout).error.code, "FETCH_FAILED");
  assert.match(unreachable.stderr, /--db FILE/);
  assert.equal(cli([bookworm, "--max-db-age", "3"]).status, 2);
  assert.equal(cli([bookworm, "--db", tracker, "--db-url", server.url]).status, 2);
  assert.equal(cli([bookworm, "--db-url", "ftp://example/json"]).status, 2);
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

test("without --db the tracker's feed is downloaded, then refreshed with a 304, and used offline", async () => {
  const cache = join(dir, "feed-cache");
  const args = [bookworm, "--arch", "amd64", "--db-url", server.url, "--cache-dir", cache, "--json"];
  const first = await cliAsync(args);
  assert.equal(first.status, 0, first.stderr);
  const doc = JSON.parse(first.stdout);
  assert.equal(doc.database.format, "debian-tracker");
  assert.equal(doc.database.source, server.url);
  assert.equal(doc.database.update, "downloaded");
  assert.equal(doc.database.ageSeconds, 0);
  const fromFile = JSON.parse(cli([bookworm, "--db", tracker, "--arch", "amd64", "--json"]).stdout);
  assert.deepEqual(doc.findings, fromFile.findings, "the feed and the same file give the same findings");
  const second = await cliAsync(args);
  assert.equal(second.status, 0, second.stderr);
  assert.equal(server.statuses.at(-1), 304);
  const again = JSON.parse(second.stdout);
  assert.equal(again.database.update, "not-modified");
  assert.equal(again.database.compactCache, "hit");
  assert.deepEqual(again.findings, doc.findings);
  const requests = server.requests.length;
  const table = await cliAsync([
    bookworm,
    "--arch",
    "amd64",
    "--db-url",
    server.url,
    "--cache-dir",
    cache,
    "--offline",
  ]);
  assert.equal(table.status, 0, table.stderr);
  assert.equal(server.requests.length, requests, "--offline sends nothing");
  assert.match(
    table.stdout,
    new RegExp(`\\nDatabase: debian-tracker from ${server.url}, \\d+s old \\(checked `),
  );
});

test("stale data is refused with SCAN_DB_STALE; a failed refresh warns and uses a young cache", async () => {
  const cache = join(dir, "stale-cache");
  const args = [bookworm, "--arch", "amd64", "--db-url", server.url, "--cache-dir", cache, "--json"];
  assert.equal((await cliAsync(args)).status, 0);
  const feedDir = join(cache, "vulndb", "debian-tracker");
  const metaPath = join(feedDir, readdirSync(feedDir)[0], "meta.json");
  const meta = JSON.parse(readFileSync(metaPath, "utf8"));
  const setAge = (hours: number) =>
    writeFileSync(
      metaPath,
      JSON.stringify({ ...meta, checkedAt: new Date(Date.now() - hours * 3_600_000).toISOString() }),
    );
  setAge(100);
  const stale = await cliAsync([...args, "--offline"]);
  assert.equal(stale.status, 1);
  assert.equal(JSON.parse(stale.stdout).error.code, "SCAN_DB_STALE");
  assert.match(stale.stderr, /older than the 72h allowed/);
  assert.match(stale.stderr, /hint: .*--max-db-age/);
  const accepted = await cliAsync([...args, "--offline", "--max-db-age", "5d"]);
  assert.equal(accepted.status, 0, accepted.stderr);
  assert.ok(JSON.parse(accepted.stdout).database.ageSeconds >= 100 * 3600);
  server.failWith = 500;
  try {
    setAge(2);
    const warned = await cliAsync(args);
    assert.equal(warned.status, 0, warned.stderr);
    assert.match(warned.stderr, /warning: could not refresh the vulnerability data \(.*HTTP 500\)/);
    const doc = JSON.parse(warned.stdout);
    assert.equal(doc.database.update, "refresh-failed");
    assert.equal(doc.warnings.length, 1);
    setAge(100);
    const refused = await cliAsync(args);
    assert.equal(JSON.parse(refused.stdout).error.code, "SCAN_DB_STALE");
  } finally {
    server.failWith = null;
  }
});

test("VEX statements and ignore entries suppress findings, are reported, and never count toward the gate", () => {
  const base = [bookworm, "--db", tracker, "--arch", "amd64", "--json"];
  const digest = JSON.parse(cli(base).stdout).digest as string;
  assert.match(digest, /^sha256:[0-9a-f]{64}$/);
  const vex = join(dir, "image.vex.json");
  writeFileSync(
    vex,
    JSON.stringify(
      vexDocument([
        {
          vulnerability: { name: "CVE-2024-0001" },
          products: [
            {
              "@id": `pkg:oci/bookworm@${digest.replace(":", "%3A")}`,
              subcomponents: [{ "@id": "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4%2Bb1?arch=amd64" }],
            },
          ],
          status: "not_affected",
          justification: "vulnerable_code_not_in_execute_path",
        },
        {
          vulnerability: { name: "CVE-2024-0010" },
          products: [{ "@id": `pkg:oci/other@sha256%3A${"0".repeat(64)}` }],
          status: "fixed",
        },
      ]),
    ),
  );
  const ignore = join(dir, "ignore.yaml");
  writeFileSync(
    ignore,
    "ignore:\n" +
      "  - id: CVE-2024-0010\n    package: tzdata\n    reason: timezone data only\n    expires: 2999-01-01\n" +
      "  - id: CVE-2024-0020\n    reason: ran out\n    expires: 2020-01-01\n",
  );
  const r = cli([...base, "--vex", vex, "--ignore-file", ignore, "--fail-on", "high"]);
  assert.equal(r.status, 0, "the only high finding is not_affected: the gate passes");
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.findings.length, 7);
  assert.deepEqual(
    doc.suppressed.map(
      (f: { id: string; suppressedBy: { kind: string } }) => `${f.id} ${f.suppressedBy.kind}`,
    ),
    ["CVE-2024-0001 vex", "CVE-2024-0010 ignore"],
  );
  assert.equal(doc.suppressed[0].suppressedBy.justification, "vulnerable_code_not_in_execute_path");
  assert.equal(doc.suppressed[1].suppressedBy.reason, "timezone data only");
  assert.deepEqual(
    doc.expiredIgnores.map((e: { id: string; expires: string }) => `${e.id} ${e.expires}`),
    ["CVE-2024-0020 2020-01-01"],
  );
  assert.ok(
    doc.findings.some((f: { id: string }) => f.id === "CVE-2024-0020"),
    "an expired entry suppresses nothing",
  );
  assert.match(r.stderr, /warning: .*ignore\.yaml: the entry for CVE-2024-0020 expired on 2020-01-01/);
  assert.equal(doc.summary.high, 0);
  // Without the VEX document the gate fails again; suppressed counts appear under the table.
  assert.equal(cli([...base, "--ignore-file", ignore, "--fail-on", "high"]).status, 1);
  const table = cli([bookworm, "--db", tracker, "--arch", "amd64", "--vex", vex, "--ignore-file", ignore]);
  assert.match(
    table.stdout,
    /\nSuppressed: 2 \(1 by VEX, 1 by the ignore file; --format json lists them\)\n/,
  );
  assert.match(table.stdout, /\nExpired ignore entries: 1/);
  // SARIF keeps them as results, each suppressed with why, after the findings that count.
  const sarif = cli([
    bookworm,
    "--db",
    tracker,
    "--arch",
    "amd64",
    "--vex",
    vex,
    "--ignore-file",
    ignore,
    "--format",
    "sarif",
  ]);
  assert.equal(sarif.status, 0, sarif.stderr);
  const results: {
    ruleId: string;
    suppressions?: { kind: string; status: string; justification: string }[];
  }[] = JSON.parse(sarif.stdout).runs[0].results;
  assert.equal(results.length, 9);
  assert.ok(results.slice(0, 7).every((x) => x.suppressions === undefined));
  assert.deepEqual(
    results.slice(7).map((x) => [x.ruleId, x.suppressions?.[0].kind, x.suppressions?.[0].status]),
    [
      ["CVE-2024-0001", "external", "accepted"],
      ["CVE-2024-0010", "external", "accepted"],
    ],
  );
  assert.match(
    results[7].suppressions?.[0].justification ?? "",
    /^VEX not_affected \(vulnerable_code_not_in_execute_path\) in .*image\.vex\.json$/,
  );
  assert.match(
    results[8].suppressions?.[0].justification ?? "",
    /^ignored until 2999-01-01: timezone data only \(.*ignore\.yaml\)$/,
  );
});

test("bad VEX documents and ignore files fail with their codes before any database is read", () => {
  const badVex = join(dir, "bad.vex.json");
  writeFileSync(
    badVex,
    JSON.stringify(vexDocument([{ vulnerability: { name: "CVE-1" }, status: "not_affected" }])),
  );
  const v = cli([bookworm, "--arch", "amd64", "--offline", "--vex", badVex, "--json"]);
  assert.equal(v.status, 1);
  assert.equal(JSON.parse(v.stdout).error.code, "VEX_INVALID");
  assert.match(v.stderr, /statements\[0\]: not_affected needs a justification or an impact_statement/);
  const badIgnore = join(dir, "bad-ignore.yaml");
  writeFileSync(badIgnore, "ignore:\n  - id: CVE-1\n    expires: 2030-01-01\n");
  const i = cli([bookworm, "--arch", "amd64", "--offline", "--ignore-file", badIgnore, "--json"]);
  assert.equal(i.status, 1);
  assert.equal(JSON.parse(i.stdout).error.code, "IGNORE_FILE_INVALID");
});

test("a VEX statement may name the image by its index digest, the one pushed and signed", () => {
  const index = JSON.parse(readFileSync(join(dir, "multi-bookworm", "index.json"), "utf8"));
  const indexDigest = index.manifests.find(
    (m: { annotations?: Record<string, string> }) =>
      m.annotations?.["org.opencontainers.image.ref.name"] === "v1",
  ).digest as string;
  const scan = (arch: string, extra: string[] = []) =>
    cli([multiBookworm, "--db", tracker, "--arch", arch, "--json", ...extra]);
  const amd = JSON.parse(scan("amd64").stdout);
  const arm = JSON.parse(scan("arm64").stdout);
  assert.equal(amd.indexDigest, indexDigest);
  assert.equal(arm.indexDigest, indexDigest);
  assert.notEqual(amd.digest, indexDigest);
  assert.ok(amd.findings.some((f: { id: string }) => f.id === "CVE-2024-0001"));
  const vexFor = (name: string, digest: string) => {
    const file = join(dir, name);
    writeFileSync(
      file,
      JSON.stringify(
        vexDocument([
          {
            vulnerability: { name: "CVE-2024-0001" },
            products: [{ "@id": `pkg:oci/cuda-base@${digest.replace(":", "%3A")}` }],
            status: "not_affected",
            justification: "vulnerable_code_not_present",
          },
        ]),
      ),
    );
    return file;
  };
  const suppressedIds = (doc: { suppressed: { id: string }[] }) => doc.suppressed.map((f) => f.id);
  // Named by the index: every platform read from it is covered.
  const byIndex = vexFor("index.vex.json", indexDigest);
  for (const arch of ["amd64", "arm64"]) {
    const doc = JSON.parse(scan(arch, ["--vex", byIndex]).stdout);
    assert.deepEqual(suppressedIds(doc), ["CVE-2024-0001"], arch);
  }
  // Named by one platform's manifest: that platform only.
  const byManifest = vexFor("manifest.vex.json", amd.digest);
  assert.deepEqual(suppressedIds(JSON.parse(scan("amd64", ["--vex", byManifest]).stdout)), ["CVE-2024-0001"]);
  assert.deepEqual(suppressedIds(JSON.parse(scan("arm64", ["--vex", byManifest]).stdout)), []);
  // The index digest is not the single-platform image's: its VEX still needs its own digest.
  const single = JSON.parse(
    cli([bookworm, "--db", tracker, "--arch", "amd64", "--json", "--vex", byIndex]).stdout,
  );
  assert.equal(single.indexDigest, undefined);
  assert.deepEqual(suppressedIds(single), []);
});
