// The tracker's download through the shared HTTP client, against slow local
// servers: a feed trickled for longer than both timeouts arrives, a stall is
// FETCH_TIMEOUT and leaves nothing, and the wait between attempts honours
// Retry-After and ends at once on an abort.

import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { fetchTracker } from "../../src/scan/tracker-download.ts";
import { type SlowServer, stallAfter, startServer, timed, trickle } from "../http/slow-server.ts";

async function setup(
  t: test.TestContext,
  handler: Parameters<typeof startServer>[0],
): Promise<{ s: SlowServer; dir: string }> {
  const s = await startServer(handler);
  const dir = mkdtempSync(join(tmpdir(), "cudaseal-tracker-dl-"));
  t.after(async () => {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { s, dir };
}

test("a feed trickled for longer than both timeouts, never idle past one, is downloaded whole", async (t) => {
  const body = Buffer.from(JSON.stringify({ pad: randomBytes(30_000).toString("hex") }));
  const { s, dir } = await setup(t, (_req, res) => trickle(res, body, 16, 200));
  const r = await timed(() =>
    fetchTracker(`${s.url}/json`, dir, undefined, { timeouts: { headersMs: 1000, idleMs: 1000 } }),
  );
  assert.equal(r.error, undefined, `got ${(r.error as Error)?.stack}`);
  assert.ok(r.ms > 2800, `took ${r.ms} ms`);
  assert.equal(r.value?.kind, "downloaded");
  if (r.value?.kind !== "downloaded") return;
  assert.equal(r.value.pending.meta.sha256, createHash("sha256").update(body).digest("hex"));
  assert.deepEqual(readFileSync(r.value.pending.tmpPath), body);
});

test("a feed that stalls is FETCH_TIMEOUT after the bounded attempts, with no download left", async (t) => {
  const { s, dir } = await setup(t, (_req, res) => stallAfter(res, Buffer.alloc(10_000, 0x20), 100));
  const r = await timed(() =>
    fetchTracker(`${s.url}/json`, dir, undefined, {
      attempts: 2,
      baseDelayMs: 1,
      timeouts: { headersMs: 5000, idleMs: 300 },
    }),
  );
  assert.ok(isCudasealError(r.error, "FETCH_TIMEOUT"), `got ${(r.error as Error)?.stack}`);
  assert.equal(s.requests, 2);
  assert.ok(r.ms < 3000, `took ${r.ms} ms`);
  assert.deepEqual(readdirSync(dir), []);
});

test("the tracker honours Retry-After, and an abort ends its wait between attempts at once", async (t) => {
  const { s, dir } = await setup(t, (_req, res) => {
    if (s.requests === 1) res.writeHead(503, { "retry-after": "1" }).end();
    else if (s.requests === 2) res.writeHead(200).end("{}");
    else res.writeHead(503, { "retry-after": "30" }).end();
  });
  const waited = await timed(() => fetchTracker(`${s.url}/json`, dir, undefined, { baseDelayMs: 1 }));
  assert.equal(waited.value?.kind, "downloaded", `got ${(waited.error as Error)?.stack}`);
  assert.ok(waited.ms >= 900, `took ${waited.ms} ms: Retry-After asked for 1 s`);

  const controller = new AbortController();
  const reason = new Error("scan cancelled");
  setTimeout(() => controller.abort(reason), 200);
  const aborted = await timed(() =>
    fetchTracker(`${s.url}/json`, dir, undefined, { signal: controller.signal, maxDelayMs: 60_000 }),
  );
  assert.equal(aborted.error, reason);
  assert.ok(aborted.ms < 2000, `took ${aborted.ms} ms against a 30 s Retry-After`);
});
