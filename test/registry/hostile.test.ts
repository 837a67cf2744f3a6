// Registries that lie, fail or misbehave, played by small node servers:
// altered manifests and blobs, a manifest that never ends, 503s with
// Retry-After, errors with the registry's own code, plain HTTP where it is
// not allowed, a redirect to other storage, and a proxy in front of the real
// registry that drops the connection after a chunk arrived, so the upload
// must resume from what the registry says it holds. And registries that are
// slow: a manifest or blob trickled for longer than both timeouts arrives;
// headers that never come, a body that stalls and an upload the registry
// stops reading are REGISTRY_TIMEOUT within their bounds, and a stalled blob
// resumes from the byte it stopped at.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { copyImage } from "../../src/copy/copy-image.ts";
import { isCudasealError } from "../../src/errors.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { getBlob, streamBlob } from "../../src/registry/blob-read.ts";
import { streamedBlob, uploadBlob } from "../../src/registry/blob-upload.ts";
import { openRepository } from "../../src/registry/repository.ts";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { stallAfter, startServer, timed, trickle } from "../http/slow-server.ts";
import { makeFixture } from "../oci/fixture-image.ts";

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

/** A node HTTP server on `address`; the handler sees each request with its body. */
async function serve(handler: Handler, address = "127.0.0.1"): Promise<{ host: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handler(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  return { host: `${address}:${(server.address() as AddressInfo).port}`, server };
}

const servers: Server[] = [];
let work: string;
let layout: string;
let registry: TestRegistry;

before(async () => {
  work = mkdtempSync(join(tmpdir(), "cudaseal-hostile-"));
  layout = join(work, "layout");
  await writeOciLayout(layout, makeFixture(join(work, "fx")).multi);
  registry = await startRegistry();
});

after(async () => {
  for (const s of servers) s.close();
  await registry?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function mock(handler: Handler, address?: string): Promise<string> {
  const { host, server } = await serve((req, res, body) => {
    if (req.url === "/v2/") {
      res.writeHead(200).end("{}");
      return;
    }
    handler(req, res, body);
  }, address);
  servers.push(server);
  return host;
}

const sha = (b: Buffer | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const fast = { attempts: 3, baseDelayMs: 1 };
const MANIFEST = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha("{}"), size: 2 },
    layers: [],
  }),
);

test("a manifest that does not match the digest the registry claims is REGISTRY_DIGEST_MISMATCH", async () => {
  const host = await mock((_req, res) => {
    res.writeHead(200, {
      "content-type": "application/vnd.oci.image.manifest.v1+json",
      "docker-content-digest": sha("something else"),
    });
    res.end(MANIFEST);
  });
  const repo = openRepository(host, "lies", { retry: fast });
  await assert.rejects(repo.getManifest("v1"), (err) => isCudasealError(err, "REGISTRY_DIGEST_MISMATCH"));
  // Asked by digest, other bytes are refused whatever the headers say.
  await assert.rejects(repo.getManifest(sha("wanted")), (err) =>
    isCudasealError(err, "REGISTRY_DIGEST_MISMATCH"),
  );
  await assert.rejects(
    copyImage(`${host}/lies:v1`, `oci:${join(work, "lies")}`, { registry: { retry: fast } }),
    (err) => isCudasealError(err, "REGISTRY_DIGEST_MISMATCH"),
  );
});

test("a blob with other bytes fails whole or streamed, and a longer one stops at its size", async () => {
  const host = await mock((_req, res) => res.writeHead(200).end("not the blob"));
  const repo = openRepository(host, "lies", { retry: fast });
  const digest = sha("the blob");
  await assert.rejects(getBlob(repo, digest, 1024), (err) =>
    isCudasealError(err, "REGISTRY_DIGEST_MISMATCH"),
  );
  const drain = async (size: number) => {
    for await (const _ of streamBlob(repo, digest, size));
  };
  await assert.rejects(drain(12), (err) => isCudasealError(err, "REGISTRY_DIGEST_MISMATCH"));
  await assert.rejects(drain(3), (err) => isCudasealError(err, "REGISTRY_DIGEST_MISMATCH"));
});

test("a manifest larger than the cap is REGISTRY_TOO_LARGE, declared or not", async () => {
  const big = Buffer.alloc(5 * 1024 * 1024, 0x20);
  const host = await mock((req, res) => {
    if (req.url?.includes("declared")) res.writeHead(200, { "content-length": String(big.length) }).end(big);
    else {
      res.writeHead(200, { "transfer-encoding": "chunked" });
      res.end(big);
    }
  });
  const repo = openRepository(host, "big", { retry: fast });
  await assert.rejects(repo.getManifest("declared"), (err) => isCudasealError(err, "REGISTRY_TOO_LARGE"));
  await assert.rejects(repo.getManifest("chunked"), (err) => isCudasealError(err, "REGISTRY_TOO_LARGE"));
});

test("a token server that never stops answering is REGISTRY_TOO_LARGE, not a buffer that fills memory", async () => {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const { host, server } = await serve((req, res) => {
    if (req.url?.startsWith("/token")) {
      // An endless answer: written until the client hangs up.
      res.writeHead(200, { "content-type": "application/json" });
      const more = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once("drain", more);
      };
      res.on("close", () => res.removeAllListeners("drain"));
      more();
      return;
    }
    res
      .writeHead(401, {
        "www-authenticate": `Bearer realm="http://${req.headers.host}/token",service="test"`,
      })
      .end();
  });
  servers.push(server);
  const repo = openRepository(host, "endless", { retry: fast });
  await assert.rejects(repo.getManifest("v1"), (err) => isCudasealError(err, "REGISTRY_TOO_LARGE"));
});

test("503 with Retry-After is retried; a lasting failure names registry, repository, status and code", async () => {
  let calls = 0;
  const host = await mock((req, res) => {
    if (req.url?.includes("/flaky/")) {
      calls++;
      if (calls < 3) {
        res.writeHead(503, { "retry-after": "0" }).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" }).end(MANIFEST);
      return;
    }
    res
      .writeHead(500, { "content-type": "application/json" })
      .end(JSON.stringify({ errors: [{ code: "UNKNOWN", message: "storage on fire" }] }));
  });
  const flaky = await openRepository(host, "flaky", { retry: fast }).getManifest("v1");
  assert.equal(flaky?.digest, sha(MANIFEST));
  assert.equal(calls, 3);
  await assert.rejects(openRepository(host, "team/down", { retry: fast }).getManifest("v1"), (err) => {
    assert.ok(isCudasealError(err, "REGISTRY_ERROR"));
    assert.deepEqual(
      { registry: err.details?.registry, repository: err.details?.repository, status: err.details?.status },
      { registry: host, repository: "team/down", status: 500 },
    );
    assert.equal(err.details?.registryCode, "UNKNOWN");
    assert.match(err.message, /team\/down.*HTTP 500 UNKNOWN: storage on fire/);
    return true;
  });
});

test("plain HTTP is refused beyond loopback unless the host is named --insecure", async () => {
  // 127.0.0.2 reaches this machine but is not one of the loopback names allowed plain HTTP.
  const host = await mock(
    (_req, res) =>
      res.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" }).end(MANIFEST),
    "127.0.0.2",
  );
  await assert.rejects(openRepository(host, "app", { retry: fast }).getManifest("v1"), (err) =>
    isCudasealError(err, "REGISTRY_INSECURE"),
  );
  const allowed = await openRepository(host, "app", { retry: fast, insecure: [host] }).getManifest("v1");
  assert.equal(allowed?.digest, sha(MANIFEST));
});

test("a blob redirect to other storage is followed without the registry's Authorization", async () => {
  const blob = Buffer.from("stored elsewhere");
  let storageAuth: string | undefined = "unset";
  const storage = await mock((req, res) => {
    storageAuth = req.headers.authorization;
    res.writeHead(200).end(blob);
  }, "127.0.0.2");
  const host = await mock((req, res) => {
    if (req.headers.authorization === undefined) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="mock"' }).end();
      return;
    }
    res.writeHead(307, { location: `http://${storage}/storage/blob?signature=abc` }).end();
  });
  const repo = openRepository(host, "app", {
    retry: fast,
    credentials: { explicit: { username: "u", password: "p" } },
  });
  assert.deepEqual(await getBlob(repo, sha(blob), 1024), blob);
  assert.equal(storageAuth, undefined);
});

/**
 * A proxy to the real registry that fails the second PATCH: "before" drops it
 * unsent (the registry holds the chunks before it), "after" forwards it and
 * drops only the answer (the registry holds more than the client knows).
 */
async function failingProxy(when: "before" | "after") {
  const seen = { patches: 0, statusChecks: 0, posts: 0 };
  const port = Number(registry.host.split(":")[1]);
  const { host, server } = await serve((req, res, body) => {
    if (req.method === "PATCH") seen.patches++;
    if (req.method === "POST") seen.posts++;
    if (req.method === "GET" && req.url?.includes("/blobs/uploads/")) seen.statusChecks++;
    const failing = req.method === "PATCH" && seen.patches === 2;
    if (failing && when === "before") {
      res.socket?.destroy();
      return;
    }
    const forward = request(
      { host: "127.0.0.1", port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        if (failing) {
          up.resume();
          up.on("end", () => res.socket?.destroy());
          return;
        }
        const headers = { ...up.headers };
        // Locations name the registry; keep the client talking to the proxy.
        if (typeof headers.location === "string")
          headers.location = headers.location.replace(registry.host, host);
        res.writeHead(up.statusCode ?? 502, headers);
        up.pipe(res);
      },
    );
    forward.end(body);
  });
  servers.push(server);
  return { host, seen };
}

test("a chunk that failed on the way resumes from the upload's Range", async () => {
  const { host, seen } = await failingProxy("before");
  const pushed = await copyImage(`oci:${layout}:v1`, `${host}/team/resumed:v1`, {
    chunkSize: 100,
    concurrency: 1,
    registry: { retry: fast },
  });
  assert.equal(seen.statusChecks, 1, "the upload's status was asked once");
  // Resumed, not restarted: one POST per blob.
  assert.equal(seen.posts, 5);
  assert.equal(pushed.blobs.pushed, 5);
  const pulled = await copyImage(`${registry.host}/team/resumed:v1`, `oci:${join(work, "resumed")}:v1`);
  assert.equal(pulled.digest, pushed.digest);
});

test("a chunk whose answer was lost, on a registry that cannot resume it, restarts the upload", async () => {
  const { host, seen } = await failingProxy("after");
  const pushed = await copyImage(`oci:${layout}:v1`, `${host}/team/restarted:v1`, {
    chunkSize: 100,
    concurrency: 1,
    registry: { retry: fast },
  });
  assert.equal(seen.statusChecks, 1);
  assert.equal(seen.posts, 6);
  const pulled = await copyImage(`${registry.host}/team/restarted:v1`, `oci:${join(work, "restarted")}:v1`);
  assert.equal(pulled.digest, pushed.digest);
});

const OCI_MANIFEST = { "content-type": "application/vnd.oci.image.manifest.v1+json" };

test("a manifest and a blob trickled for longer than both timeouts, never idle past one, arrive whole", async () => {
  const blob = Buffer.alloc(64 * 1024, 0x42);
  // 16 pieces, one every 200 ms: over 3 s each, against 1 s bounds.
  const host = await mock((req, res) =>
    req.url?.includes("/manifests/")
      ? trickle(res, MANIFEST, 16, 200, OCI_MANIFEST)
      : trickle(res, blob, 16, 200),
  );
  const repo = openRepository(host, "slow", { retry: fast, timeouts: { headersMs: 1000, idleMs: 1000 } });
  const manifest = await timed(() => repo.getManifest("v1"));
  assert.equal(manifest.value?.digest, sha(MANIFEST), `got ${(manifest.error as Error)?.stack}`);
  assert.ok(manifest.ms > 2800, `took ${manifest.ms} ms`);
  const streamed = await timed(async () => {
    const chunks: Uint8Array[] = [];
    for await (const chunk of streamBlob(repo, sha(blob), blob.length)) chunks.push(chunk);
    return Buffer.concat(chunks);
  });
  assert.deepEqual(streamed.value, blob, `got ${(streamed.error as Error)?.stack}`);
  assert.ok(streamed.ms > 2800, `took ${streamed.ms} ms`);
});

test("a manifest whose headers never come is REGISTRY_TIMEOUT within the headers bound, tried a bounded number of times", async () => {
  let asked = 0;
  const host = await mock(() => {
    asked++;
  });
  const repo = openRepository(host, "silent", { retry: fast, timeouts: { headersMs: 300, idleMs: 5000 } });
  const r = await timed(() => repo.getManifest("v1"));
  assert.ok(isCudasealError(r.error, "REGISTRY_TIMEOUT"), `got ${(r.error as Error)?.stack}`);
  assert.equal(r.error.details?.phase, "headers");
  assert.equal(r.error.details?.repository, "silent");
  assert.equal(asked, fast.attempts);
  assert.ok(r.ms >= 850 && r.ms < 3000, `took ${r.ms} ms for ${fast.attempts} waits of 300 ms`);
});

test("a manifest that stalls mid-body is REGISTRY_TIMEOUT within the idle bound", async () => {
  const host = await mock((_req, res) => stallAfter(res, MANIFEST, 20, OCI_MANIFEST));
  const repo = openRepository(host, "stalled", { retry: fast, timeouts: { headersMs: 5000, idleMs: 400 } });
  const r = await timed(() => repo.getManifest("v1"));
  assert.ok(isCudasealError(r.error, "REGISTRY_TIMEOUT"), `got ${(r.error as Error)?.stack}`);
  assert.equal(r.error.details?.phase, "body");
  assert.ok(r.ms < 2000, `took ${r.ms} ms`);
});

test("a blob that stalls mid-body resumes from the byte it stopped at, by Range or by skipping", async () => {
  const blob = Buffer.from(Array.from({ length: 50_000 }, (_, i) => i % 251));
  for (const honoursRange of [true, false]) {
    const ranges: (string | undefined)[] = [];
    const host = await mock((req, res) => {
      ranges.push(req.headers.range);
      if (ranges.length === 1) return stallAfter(res, blob, 20_000);
      const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? "")?.[1] ?? 0);
      if (!honoursRange || from === 0) return void res.writeHead(200).end(blob);
      res
        .writeHead(206, { "content-range": `bytes ${from}-${blob.length - 1}/${blob.length}` })
        .end(blob.subarray(from));
    });
    const repo = openRepository(host, "resumed", { retry: fast, timeouts: { headersMs: 5000, idleMs: 300 } });
    const chunks: Uint8Array[] = [];
    for await (const chunk of streamBlob(repo, sha(blob), blob.length)) chunks.push(chunk);
    assert.deepEqual(Buffer.concat(chunks), blob);
    assert.deepEqual(ranges, [undefined, "bytes=20000-"]);
  }
});

test("a blob that keeps stalling is REGISTRY_TIMEOUT after the bounded attempts, not INTERNAL", async () => {
  let asked = 0;
  const blob = Buffer.alloc(10_000, 0x43);
  const host = await mock((_req, res) => {
    asked++;
    stallAfter(res, blob, 1000);
  });
  const repo = openRepository(host, "stuck", { retry: fast, timeouts: { headersMs: 5000, idleMs: 300 } });
  const drain = async () => {
    for await (const _ of streamBlob(repo, sha(blob), blob.length));
  };
  const r = await timed(drain);
  assert.ok(isCudasealError(r.error, "REGISTRY_TIMEOUT"), `got ${(r.error as Error)?.stack}`);
  assert.equal(asked, fast.attempts);
  assert.ok(r.ms < 3000, `took ${r.ms} ms`);
  asked = 0;
  await assert.rejects(getBlob(repo, sha(blob), 1 << 20), (err) => isCudasealError(err, "REGISTRY_TIMEOUT"));
  assert.equal(asked, fast.attempts);
});

test("a blob upload the registry stops reading is REGISTRY_TIMEOUT within the idle bound", async (t) => {
  let puts = 0;
  const s = await startServer((req, res) => {
    if (req.url === "/v2/") return void res.writeHead(200).end("{}");
    if (req.method === "POST")
      return void res
        .writeHead(202, { location: `/v2/app/blobs/uploads/${puts}`, "content-length": "0" })
        .end();
    // The PUT: never read, never answered; the socket's buffers fill and the upload stops.
    puts++;
    req.pause();
  });
  t.after(() => s.close());
  const repo = openRepository(s.host, "app", { retry: fast, timeouts: { headersMs: 30_000, idleMs: 400 } });
  const size = 256 * 1024 * 1024;
  const piece = new Uint8Array(1024 * 1024);
  const blob = streamedBlob(
    { digest: sha("never stored"), size, mediaType: "application/octet-stream" },
    async function* () {
      for (let sent = 0; sent < size; sent += piece.length) yield piece;
    },
  );
  const r = await timed(() => uploadBlob(repo, blob, { attempts: 2 }));
  assert.ok(isCudasealError(r.error, "REGISTRY_TIMEOUT"), `got ${(r.error as Error)?.stack}`);
  assert.equal(r.error.details?.phase, "upload");
  assert.equal(puts, 2, "a stalled upload is started once more, then reported");
  assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
});
