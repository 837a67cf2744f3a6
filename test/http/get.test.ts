// GETs against real servers on 127.0.0.1: what lands on disk, that no
// failure leaves a file behind or takes the process down, and the timeouts
// and retries against deliberately slow servers (slow-server.ts), bounds set
// short so that each case takes seconds.

import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { downloadVerified, getBytes } from "../../src/http/get.ts";
import { type AptRepo, startAptRepo } from "../helpers/apt-repo.ts";
import { type SlowServer, stallAfter, startServer, timed, trickle } from "./slow-server.ts";

async function setup(
  t: test.TestContext,
): Promise<{ repo: AptRepo; dir: string; url: string; sha256: string }> {
  const repo = await startAptRepo({
    // Incompressible, so the .deb arrives in many chunks.
    packages: [{ name: "blob", version: "1.0", files: { "usr/share/blob": randomBytes(2 << 20) } }],
  });
  t.after(() => repo.close());
  const dir = await mkdtemp(join(tmpdir(), "cudaseal-dl-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const deb = repo.debs[0];
  return { repo, dir, url: `${repo.url}/${deb.filename}`, sha256: deb.sha256 };
}

describe("downloadVerified", () => {
  test("a matching file appears at its destination, alone", async (t) => {
    const { repo, dir, url, sha256 } = await setup(t);
    await downloadVerified(url, join(dir, "blob.deb"), { sha256, size: repo.debs[0].size });
    assert.deepEqual(await readdir(dir), ["blob.deb"]);
    const bytes = await readFile(join(dir, "blob.deb"));
    assert.equal(createHash("sha256").update(bytes).digest("hex"), sha256);
  });

  test("more bytes than the signed size is FETCH_TOO_LARGE and leaves nothing", async (t) => {
    const { dir, url, sha256 } = await setup(t);
    await assert.rejects(downloadVerified(url, join(dir, "blob.deb"), { sha256, size: 100 }), (err) =>
      isCudasealError(err, "FETCH_TOO_LARGE"),
    );
    assert.deepEqual(await readdir(dir), []);
  });

  test("a destination that cannot be written is FETCH_FAILED, not a crash", async (t) => {
    const { repo, dir, url, sha256 } = await setup(t);
    const dest = join(dir, "missing-directory", "blob.deb");
    await assert.rejects(downloadVerified(url, dest, { sha256, baseDelayMs: 1 }), (err) => {
      assert.ok(isCudasealError(err, "FETCH_FAILED"), `got ${(err as Error)?.stack ?? err}`);
      assert.equal((err.cause as NodeJS.ErrnoException).code, "ENOENT");
      return true;
    });
    // A local write error is not the mirror's fault: not retried.
    assert.equal(repo.count(`/${repo.debs[0].filename}`), 1);
    assert.deepEqual(await readdir(dir), []);
  });
});

/** A server for one test, closed when it ends. */
async function server(t: test.TestContext, handler: Parameters<typeof startServer>[0]): Promise<SlowServer> {
  const s = await startServer(handler);
  t.after(() => s.close());
  return s;
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("timeouts", () => {
  const short = { headersMs: 1000, idleMs: 1000 };

  test("a .deb trickled for longer than both bounds, never idle past one, arrives whole", async (t) => {
    const body = randomBytes(64 * 1024);
    // 20 pieces, one every 200 ms: nearly 4 s in all, against 1 s bounds.
    const s = await server(t, (_req, res) => trickle(res, body, 20, 200));
    const dir = await mkdtemp(join(tmpdir(), "cudaseal-dl-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const r = await timed(() =>
      downloadVerified(`${s.url}/slow.deb`, join(dir, "slow.deb"), {
        sha256: sha256(body),
        size: body.length,
        timeouts: short,
        attempts: 1,
      }),
    );
    assert.equal(r.error, undefined, `got ${(r.error as Error)?.stack}`);
    assert.ok(r.ms > 3000, `took ${r.ms} ms: the transfer should outlast both bounds`);
    assert.equal(sha256(await readFile(join(dir, "slow.deb"))), sha256(body));
    assert.equal(s.requests, 1);
  });

  test("a body that stalls mid-way is FETCH_TIMEOUT within the idle bound, retried, and leaves no file", async (t) => {
    const body = randomBytes(64 * 1024);
    const s = await server(t, (_req, res) => stallAfter(res, body, 1000));
    const dir = await mkdtemp(join(tmpdir(), "cudaseal-dl-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const r = await timed(() =>
      downloadVerified(`${s.url}/stall.deb`, join(dir, "stall.deb"), {
        sha256: sha256(body),
        timeouts: { headersMs: 5000, idleMs: 500 },
        attempts: 2,
        baseDelayMs: 1,
      }),
    );
    assert.ok(isCudasealError(r.error, "FETCH_TIMEOUT"), `got ${(r.error as Error)?.stack}`);
    assert.equal(r.error.details?.phase, "body");
    assert.equal(s.requests, 2, "a timeout is retried, a bounded number of times");
    assert.ok(r.ms >= 1000 && r.ms < 3000, `took ${r.ms} ms for two 500 ms stalls`);
    assert.deepEqual(await readdir(dir), []);
  });

  test("a server that never sends headers is FETCH_TIMEOUT within the headers bound", async (t) => {
    const s = await server(t, () => {});
    const r = await timed(() =>
      getBytes(`${s.url}/InRelease`, { timeouts: { headersMs: 500, idleMs: 5000 }, attempts: 1 }),
    );
    assert.ok(isCudasealError(r.error, "FETCH_TIMEOUT"), `got ${(r.error as Error)?.stack}`);
    assert.equal(r.error.details?.phase, "headers");
    assert.ok(r.ms >= 450 && r.ms < 2000, `took ${r.ms} ms`);
  });

  test("CUDASEAL_HTTP_IDLE_TIMEOUT bounds a download that passes no timeouts of its own", async (t) => {
    const s = await server(t, (_req, res) => stallAfter(res, Buffer.alloc(4096), 100));
    const saved = process.env.CUDASEAL_HTTP_IDLE_TIMEOUT;
    process.env.CUDASEAL_HTTP_IDLE_TIMEOUT = "0.5";
    t.after(() => {
      if (saved === undefined) delete process.env.CUDASEAL_HTTP_IDLE_TIMEOUT;
      else process.env.CUDASEAL_HTTP_IDLE_TIMEOUT = saved;
    });
    const r = await timed(() => getBytes(`${s.url}/Packages`, { attempts: 1 }));
    assert.ok(isCudasealError(r.error, "FETCH_TIMEOUT"), `got ${(r.error as Error)?.stack}`);
    assert.equal(r.error.details?.timeoutMs, 500);
    assert.ok(r.ms < 2000, `took ${r.ms} ms`);
  });
});

describe("retries", () => {
  test("a 503's Retry-After is waited out before the next attempt", async (t) => {
    const s = await server(t, (_req, res) => {
      if (s.requests === 1) res.writeHead(503, { "retry-after": "1" }).end();
      else res.writeHead(200).end("ok");
    });
    const r = await timed(() => getBytes(`${s.url}/InRelease`, { baseDelayMs: 1 }));
    assert.equal(r.value?.toString(), "ok");
    assert.ok(r.ms >= 900, `took ${r.ms} ms: Retry-After asked for 1 s`);
    assert.equal(s.requests, 2);
  });

  test("an abort during the wait before a retry ends the wait at once, with the abort's reason", async (t) => {
    const s = await server(t, (_req, res) => res.writeHead(503, { "retry-after": "30" }).end());
    const reason = new Error("build cancelled");
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 200);
    const r = await timed(() =>
      getBytes(`${s.url}/InRelease`, { signal: controller.signal, maxDelayMs: 60_000 }),
    );
    assert.equal(r.error, reason);
    assert.ok(r.ms < 2000, `took ${r.ms} ms against a 30 s Retry-After`);
    assert.equal(s.requests, 1);
  });

  test("attempts are bounded: a lasting 500 is FETCH_FAILED after exactly that many", async (t) => {
    const s = await server(t, (_req, res) => res.writeHead(500).end());
    await assert.rejects(getBytes(`${s.url}/InRelease`, { attempts: 3, baseDelayMs: 1 }), (err) =>
      isCudasealError(err, "FETCH_FAILED"),
    );
    assert.equal(s.requests, 3);
  });
});

describe("redaction", () => {
  test("a URL's user info and query never reach an error's message or details", async (t) => {
    const s = await server(t, (_req, res) => res.writeHead(404).end());
    const secret = "s3cr3t-token";
    for (const url of [`${s.url}/dists/InRelease?token=${secret}`, `http://user:${secret}@${s.host}/x`]) {
      await assert.rejects(getBytes(url, { attempts: 1 }), (err) => {
        assert.ok(isCudasealError(err, "FETCH_FAILED"), `got ${(err as Error)?.stack}`);
        assert.ok(!JSON.stringify(err.toJSON()).includes(secret), JSON.stringify(err.toJSON()));
        return true;
      });
    }
  });
});
