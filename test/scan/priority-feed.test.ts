// The prioritising feeds: CISA's KEV catalog and FIRST's EPSS scores read
// from files in their published shapes (test/fixtures/kev-epss), gzip or
// not; the same through a cached, conditional download from a local server
// (a 304 the second time, the cached copy offline, a broken download never
// replacing a good copy); damaged files are FEED_INVALID; and findings
// marked and sorted KEV first, then by EPSS score, then by severity.

import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import type { Finding } from "../../src/scan/index.ts";
import {
  comparePriority,
  markFindings,
  openEpss,
  openKev,
  parseEpss,
  parseKev,
} from "../../src/scan/index.ts";
import { startTrackerServer } from "./tracker-server.ts";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "kev-epss");
const KEV = join(FIXTURES, "known_exploited_vulnerabilities.json");
const EPSS = join(FIXTURES, "epss_scores-2026-12-06.csv");
const work = await mkdtemp(join(tmpdir(), "cudaseal-priority-"));
after(() => rm(work, { recursive: true, force: true }));

test("the KEV catalog is read from CISA's file: entries by CVE, ransomware use, due dates", async () => {
  const { data, info } = await openKev({ source: KEV, cacheDir: work });
  assert.equal(info.update, "local");
  assert.equal(data.catalogVersion, "2026.12.04");
  assert.equal(data.entries.size, 3);
  assert.deepEqual(data.entries.get("CVE-2024-1086"), {
    dateAdded: "2024-05-30",
    dueDate: "2024-06-20",
    ransomware: true,
    name: "Linux Kernel Use-After-Free Vulnerability",
  });
  assert.equal(data.entries.get("CVE-2023-4911")?.ransomware, false);
});

test("EPSS scores are read from the CSV and from its gzip alike, with the model and date", async () => {
  const plain = await openEpss({ source: EPSS, cacheDir: work });
  const gz = await openEpss({ source: `${EPSS}.gz`, cacheDir: work });
  assert.equal(plain.data.modelVersion, "v2025.03.14");
  assert.equal(plain.data.scoreDate, "2026-12-06T12:55:00Z");
  assert.deepEqual(plain.data.scores.get("CVE-2021-3156"), { score: 0.93364, percentile: 0.99812 });
  assert.deepEqual([...gz.data.scores], [...plain.data.scores]);
});

for (const [what, text] of [
  ["not JSON", "{"],
  ["without vulnerabilities", '{"title":"x"}'],
  ["with a malformed cveID", '{"vulnerabilities":[{"cveID":"CVE-X","dateAdded":"2024-01-01"}]}'],
  ["without dateAdded", '{"vulnerabilities":[{"cveID":"CVE-2024-0001"}]}'],
] as const) {
  test(`a KEV file ${what} is FEED_INVALID`, () => {
    assert.throws(
      () => parseKev(Buffer.from(text), "kev.json"),
      (err) => isCudasealError(err, "FEED_INVALID"),
    );
  });
}

for (const [what, text] of [
  ["without a header", "#model_version:v1\nCVE-2024-0001,0.1,0.2\n"],
  ["with a score past 1", "cve,epss,percentile\nCVE-2024-0001,1.5,0.2\n"],
  ["with a row naming no CVE", "cve,epss,percentile\nnope,0.1,0.2\n"],
  ["that is empty", ""],
] as const) {
  test(`an EPSS file ${what} is FEED_INVALID`, () => {
    assert.throws(
      () => parseEpss(Buffer.from(text), "epss.csv"),
      (err) => isCudasealError(err, "FEED_INVALID"),
    );
  });
}

test("gzip that does not decompress is FEED_INVALID", () => {
  assert.throws(
    () => parseEpss(Buffer.from([0x1f, 0x8b, 1, 2, 3]), "epss.csv.gz"),
    (err) => isCudasealError(err, "FEED_INVALID"),
  );
});

test("the published feed is downloaded once, then asked for conditionally, and read offline from the cache", async () => {
  const server = await startTrackerServer(await readFile(KEV, "utf8"));
  after(() => server.close());
  const cacheDir = join(work, "cache-kev");
  const first = await openKev({ source: "feed", url: server.url, cacheDir });
  assert.equal(first.info.update, "downloaded");
  assert.equal(first.data.entries.size, 3);
  const second = await openKev({ source: "feed", url: server.url, cacheDir });
  assert.equal(second.info.update, "not-modified");
  assert.deepEqual(server.statuses, [200, 304]);
  const offline = await openKev({ source: "feed", url: server.url, cacheDir, offline: true });
  assert.equal(offline.info.update, "cached");
  assert.equal(offline.data.entries.size, 3);
  assert.equal(server.statuses.length, 2);
  // --skip-db-update: the cached copy, without asking.
  const skipped = await openKev({ source: "feed", url: server.url, cacheDir, skipUpdate: true });
  assert.equal(skipped.info.update, "cached");
  assert.equal(server.statuses.length, 2);

  // A broken download is refused and leaves the good copy in place.
  server.serve("<html>maintenance</html>");
  await assert.rejects(openKev({ source: "feed", url: server.url, cacheDir }), (err) =>
    isCudasealError(err, "FEED_INVALID"),
  );
  assert.equal(
    (await openKev({ source: "feed", url: server.url, cacheDir, offline: true })).data.entries.size,
    3,
  );

  // An unreachable feed falls back to the cached copy, with a warning.
  server.failWith = 503;
  const fallback = await openKev({ source: "feed", url: server.url, cacheDir });
  assert.equal(fallback.info.update, "refresh-failed");
  assert.equal(fallback.warnings.length, 1);
});

test("offline with nothing cached is SCAN_DB_MISSING; a cached copy past the age limit is SCAN_DB_STALE", async () => {
  const server = await startTrackerServer(await readFile(EPSS, "utf8"));
  after(() => server.close());
  const cacheDir = join(work, "cache-epss");
  await assert.rejects(openEpss({ source: "feed", url: server.url, cacheDir, offline: true }), (err) =>
    isCudasealError(err, "SCAN_DB_MISSING"),
  );
  await openEpss({ source: server.url, cacheDir });
  const later = () => new Date(Date.now() + 4 * 86_400_000);
  await assert.rejects(openEpss({ source: server.url, cacheDir, offline: true, now: later }), (err) =>
    isCudasealError(err, "SCAN_DB_STALE"),
  );
});

test("a KEV file that is missing or empty is FEED_INVALID", async () => {
  await writeFile(join(work, "empty.json"), "");
  await assert.rejects(openKev({ source: join(work, "missing.json"), cacheDir: work }), (err) =>
    isCudasealError(err, "FEED_INVALID"),
  );
  await assert.rejects(openKev({ source: join(work, "empty.json"), cacheDir: work }), (err) =>
    isCudasealError(err, "FEED_INVALID"),
  );
});

test("findings sort KEV first, then by EPSS score, then by severity", async () => {
  const kev = (await openKev({ source: KEV, cacheDir: work })).data;
  const epss = (await openEpss({ source: EPSS, cacheDir: work })).data;
  const finding = (id: string, severity: Finding["severity"]): Finding => ({
    id,
    package: "p",
    source: "p",
    installed: "1",
    severity,
    status: "open",
    description: "",
  });
  const marked = markFindings(
    [
      finding("CVE-2025-0009", "critical"),
      finding("CVE-2025-0001", "high"),
      finding("CVE-2025-0002", "low"),
      finding("CVE-2023-4911", "high"),
      finding("CVE-2024-1086", "medium"),
    ],
    { kev, epss },
  ).sort(comparePriority);
  assert.deepEqual(
    marked.map((f) => f.id),
    ["CVE-2024-1086", "CVE-2023-4911", "CVE-2025-0002", "CVE-2025-0001", "CVE-2025-0009"],
  );
  assert.equal(marked[0].kev?.ransomware, true);
  assert.equal(marked[4].epss, undefined);
});

test("a feed URL's credentials and query never reach the report or an error", async () => {
  const server = await startTrackerServer(await readFile(KEV, "utf8"));
  after(() => server.close());
  const cacheDir = join(work, "cache-secret");
  // A signed mirror's URL: its token travels in the query.
  const url = new URL(server.url);
  url.search = "?X-Amz-Signature=s3cr3t";
  const opened = await openKev({ source: url.toString(), cacheDir });
  assert.equal(opened.info.update, "downloaded");
  assert.doesNotMatch(JSON.stringify(opened.info), /s3cr3t/);
  const other = new URL(url);
  other.username = "robot";
  other.password = "hunter2";
  await assert.rejects(openKev({ source: other.toString(), cacheDir, offline: true }), (err) => {
    assert.ok(isCudasealError(err, "SCAN_DB_MISSING"));
    assert.doesNotMatch(JSON.stringify(err.toJSON()), /hunter2|s3cr3t/);
    return true;
  });
});
