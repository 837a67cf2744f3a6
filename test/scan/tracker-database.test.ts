// The tracker feed end to end against a real HTTP server on 127.0.0.1: the
// first download, a 304 for an unchanged feed, age limits, offline use, the
// size cap, refresh failures, and the compact cache's invalidation.

import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { debianTrackerAdvisories } from "../../src/scan/debian-tracker.ts";
import { compactPath } from "../../src/scan/tracker-compact.ts";
import { openTrackerDatabase, type TrackerDatabaseOptions } from "../../src/scan/tracker-database.ts";
import { fetchTracker, trackerDir } from "../../src/scan/tracker-download.ts";
import { TRACKER } from "./fixture.ts";
import { startTrackerServer, type TrackerServer } from "./tracker-server.ts";

const root = mkdtempSync(join(tmpdir(), "cudaseal-scan-feed-"));
let server: TrackerServer;
before(async () => {
  server = await startTrackerServer(JSON.stringify(TRACKER));
});
after(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

let cacheCount = 0;
function freshCache(): string {
  return join(root, `cache-${cacheCount++}`);
}

const T0 = Date.parse("2026-11-23T12:00:00Z");
const HOUR = 3_600_000;
const at = (ms: number) => () => new Date(ms);

function open(cacheDir: string, extra: Partial<TrackerDatabaseOptions> = {}) {
  return openTrackerDatabase({
    cacheDir,
    url: server.url,
    release: "bookworm",
    now: at(T0),
    baseDelayMs: 1,
    ...extra,
  });
}

test("the first scan downloads the feed; an unchanged feed is a 304 and the compact cache serves it", async () => {
  server.failWith = null;
  const cacheDir = freshCache();
  const first = await open(cacheDir);
  assert.equal(first.info.update, "downloaded");
  assert.equal(first.info.compactCache, "built");
  assert.equal(first.info.source, server.url);
  assert.equal(first.info.ageSeconds, 0);
  assert.deepEqual(first.warnings, []);
  const expected = debianTrackerAdvisories(TRACKER, { release: "bookworm" });
  assert.deepEqual(
    first.advisories.map((a) => `${a.source} ${a.id} ${a.state}`).sort(),
    expected.map((a) => `${a.source} ${a.id} ${a.state}`).sort(),
  );
  const requests = server.requests.length;
  const second = await open(cacheDir, { now: at(T0 + 2 * HOUR) });
  assert.equal(server.requests.length, requests + 1);
  assert.ok(server.requests.at(-1)?.["if-none-match"], "the refresh is conditional");
  assert.equal(server.statuses.at(-1), 304);
  assert.equal(second.info.update, "not-modified");
  assert.equal(second.info.compactCache, "hit");
  assert.equal(second.info.ageSeconds, 0, "a 304 confirms the data: its age starts again");
  assert.deepEqual(second.advisories, first.advisories);
  const meta = JSON.parse(readFileSync(join(trackerDir(cacheDir, server.url), "meta.json"), "utf8"));
  assert.equal(meta.fetchedAt, new Date(T0).toISOString());
  assert.equal(meta.checkedAt, new Date(T0 + 2 * HOUR).toISOString());
  assert.equal(meta.url, server.url);
  assert.match(meta.sha256, /^[0-9a-f]{64}$/);
  assert.equal(meta.size, Buffer.byteLength(JSON.stringify(TRACKER)), "the size is of the decoded JSON");
});

test("a changed feed is downloaded again and the old raw file and compact cache are dropped", async () => {
  server.failWith = null;
  const cacheDir = freshCache();
  const first = await open(cacheDir);
  const changed = structuredClone(TRACKER) as unknown as Record<string, Record<string, unknown>>;
  delete changed.glibc["CVE-2024-0001"];
  server.serve(JSON.stringify(changed));
  try {
    const second = await open(cacheDir, { now: at(T0 + HOUR) });
    assert.equal(second.info.update, "downloaded");
    assert.notEqual(second.info.sha256, first.info.sha256);
    assert.ok(!second.advisories.some((a) => a.id === "CVE-2024-0001"));
    const dir = trackerDir(cacheDir, server.url);
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.startsWith("data-")),
      [`data-${second.info.sha256}.json`],
    );
    assert.deepEqual(readdirSync(join(dir, "compact")), [`${second.info.sha256}.bookworm.bin`]);
  } finally {
    server.serve(JSON.stringify(TRACKER));
  }
});

test("offline scans use the cache and never touch the network; with no cache they fail SCAN_DB_MISSING", async () => {
  server.failWith = null;
  const cacheDir = freshCache();
  await assert.rejects(open(cacheDir, { offline: true }), (err) => isCudasealError(err, "SCAN_DB_MISSING"));
  await open(cacheDir);
  const requests = server.requests.length;
  const offline = await open(cacheDir, { offline: true, now: at(T0 + 10 * HOUR) });
  assert.equal(server.requests.length, requests, "no request offline");
  assert.equal(offline.info.update, "cached");
  assert.equal(offline.info.ageSeconds, 36_000);
  const skip = await open(cacheDir, { skipUpdate: true, now: at(T0 + 10 * HOUR) });
  assert.equal(server.requests.length, requests, "no request with skipUpdate and a cache");
  assert.equal(skip.info.compactCache, "hit");
});

test("data older than the limit is refused with SCAN_DB_STALE, unless the limit is raised", async () => {
  server.failWith = null;
  const cacheDir = freshCache();
  await open(cacheDir);
  const late = at(T0 + 100 * HOUR);
  await assert.rejects(open(cacheDir, { offline: true, now: late }), (err) => {
    assert.ok(isCudasealError(err, "SCAN_DB_STALE"));
    assert.match(err.hint ?? "", /--max-db-age/);
    assert.equal(err.details?.ageSeconds, 360_000);
    return true;
  });
  await assert.rejects(open(cacheDir, { skipUpdate: true, now: late, maxAgeMs: 99 * HOUR }), (err) =>
    isCudasealError(err, "SCAN_DB_STALE"),
  );
  const raised = await open(cacheDir, { offline: true, now: late, maxAgeMs: 7 * 24 * HOUR });
  assert.equal(raised.info.ageSeconds, 360_000);
  // Online, the refresh (a 304) makes the same data current again.
  const online = await open(cacheDir, { now: late });
  assert.equal(online.info.update, "not-modified");
});

test("a failed refresh falls back to a young-enough cache with a warning, and to SCAN_DB_STALE otherwise", async () => {
  server.failWith = null;
  const cacheDir = freshCache();
  await open(cacheDir);
  server.failWith = 503;
  try {
    const before = server.requests.length;
    const r = await open(cacheDir, { now: at(T0 + HOUR), attempts: 2 });
    assert.equal(server.requests.length, before + 2, "a 503 is retried");
    assert.equal(r.info.update, "refresh-failed");
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0], /could not refresh.*HTTP 503.*1h old/);
    server.failWith = 404;
    await assert.rejects(open(cacheDir, { now: at(T0 + 80 * HOUR), attempts: 2 }), (err) => {
      assert.ok(isCudasealError(err, "SCAN_DB_STALE"));
      assert.match(err.hint ?? "", /refresh failed/);
      return true;
    });
    await assert.rejects(open(freshCache(), { attempts: 1 }), (err) => isCudasealError(err, "FETCH_FAILED"));
  } finally {
    server.failWith = null;
  }
});

test("a download larger than the cap is refused with FETCH_TOO_LARGE and leaves nothing behind", async () => {
  server.failWith = null;
  const cacheDir = freshCache();
  await assert.rejects(open(cacheDir, { maxBytes: 100 }), (err) => isCudasealError(err, "FETCH_TOO_LARGE"));
  assert.deepEqual(readdirSync(trackerDir(cacheDir, server.url)), []);
  // With a good cache, an oversized new feed is a warning: the old copy stays.
  await open(cacheDir);
  server.serve(`${JSON.stringify(TRACKER)}${" ".repeat(50_000)}`);
  try {
    const r = await open(cacheDir, { maxBytes: 10_000, now: at(T0 + HOUR) });
    assert.equal(r.info.update, "refresh-failed");
    assert.match(r.warnings[0], /larger than the 10000-byte limit/);
  } finally {
    server.serve(JSON.stringify(TRACKER));
  }
});

test("a feed that is not the tracker's JSON never replaces a good cache", async () => {
  server.failWith = null;
  const cacheDir = freshCache();
  const good = await open(cacheDir);
  server.serve("<html>maintenance</html>");
  try {
    const r = await open(cacheDir, { now: at(T0 + HOUR) });
    assert.equal(r.info.sha256, good.info.sha256);
    assert.match(r.warnings[0], /did not serve the tracker.s JSON: not valid JSON/);
    await assert.rejects(open(freshCache()), (err) => isCudasealError(err, "CONFIG_INVALID"));
    server.serve('{"id": "DSA-1", "affected": []}');
    await assert.rejects(open(freshCache()), (err) => isCudasealError(err, "CONFIG_INVALID"));
  } finally {
    server.serve(JSON.stringify(TRACKER));
  }
});

test("a damaged compact cache is rebuilt from the raw data, never trusted", async () => {
  server.failWith = null;
  const cacheDir = freshCache();
  const first = await open(cacheDir);
  const path = compactPath(
    join(trackerDir(cacheDir, server.url), "compact"),
    first.info.sha256 as string,
    "bookworm",
  );
  const bytes = readFileSync(path);
  bytes[bytes.length - 5] ^= 0xff;
  writeFileSync(path, bytes);
  const rebuilt = await open(cacheDir, { offline: true });
  assert.equal(rebuilt.info.compactCache, "rebuilt");
  assert.deepEqual(rebuilt.advisories, first.advisories);
  assert.equal((await open(cacheDir, { offline: true })).info.compactCache, "hit");
  writeFileSync(path, "garbage");
  assert.equal((await open(cacheDir, { offline: true })).info.compactCache, "rebuilt");
  // Another release has its own compact file.
  const trixie = await open(cacheDir, { offline: true, release: "trixie" });
  assert.equal(trixie.info.compactCache, "built");
  assert.ok(trixie.advisories.every((a) => a.release === "trixie"));
});

test("a raw file that does not match its metadata counts as no cache", async () => {
  server.failWith = null;
  const cacheDir = freshCache();
  const first = await open(cacheDir);
  writeFileSync(join(trackerDir(cacheDir, server.url), `data-${first.info.sha256}.json`), "{}");
  await assert.rejects(open(cacheDir, { offline: true }), (err) => isCudasealError(err, "SCAN_DB_MISSING"));
  const again = await open(cacheDir);
  assert.equal(again.info.update, "downloaded");
});

test("a server that stops sending mid-body is given up on, not waited for", async () => {
  const stalled = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
    res.write('{"openssl": {');
    // …and nothing more, with the connection held open.
  });
  await new Promise<void>((resolve) => stalled.listen(0, "127.0.0.1", resolve));
  const { port } = stalled.address() as { port: number };
  const dir = mkdtempSync(join(tmpdir(), "cudaseal-stalled-"));
  try {
    await assert.rejects(
      fetchTracker(`http://127.0.0.1:${port}/json`, dir, undefined, {
        attempts: 1,
        timeouts: { headersMs: 300, idleMs: 300 },
      }),
      (err) => isCudasealError(err, "FETCH_TIMEOUT"),
    );
    assert.deepEqual(readdirSync(dir), [], "no partial download is left");
  } finally {
    stalled.closeAllConnections();
    stalled.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a --db-url's credentials and query never reach the report or an error", async () => {
  server.failWith = null;
  const cacheDir = freshCache();
  const url = new URL(server.url);
  url.search = "?token=s3cr3t";
  const opened = await open(cacheDir, { url: url.toString() });
  assert.doesNotMatch(JSON.stringify(opened.info), /s3cr3t/);
  url.username = "robot";
  url.password = "hunter2";
  await assert.rejects(open(freshCache(), { url: url.toString(), offline: true }), (err) => {
    assert.ok(isCudasealError(err, "SCAN_DB_MISSING"));
    assert.doesNotMatch(JSON.stringify(err.toJSON()), /hunter2|s3cr3t/);
    return true;
  });
});
