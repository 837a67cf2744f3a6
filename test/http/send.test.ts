// One exchange under the timeouts, the upload side: a server that stops
// reading an upload is given up on within the idle bound, while an upload
// that takes longer than the headers bound, but never pauses long, is
// answered. Real sockets on 127.0.0.1.

import assert from "node:assert/strict";
import { createServer as createTcpServer, type Socket } from "node:net";
import { test } from "node:test";
import { CudasealError, isCudasealError } from "../../src/errors.ts";
import { type SendOptions, send } from "../../src/http/send.ts";
import type { HttpTimeouts } from "../../src/http/timeouts.ts";
import { startServer, timed } from "./slow-server.ts";

/** Send options whose errors say which wait ran out. */
function options(timeouts: HttpTimeouts): SendOptions {
  return {
    timeouts,
    timeout: (phase, ms) => new CudasealError("FETCH_TIMEOUT", `${phase} ${ms}`, { details: { phase } }),
    interrupted: (cause) => new CudasealError("FETCH_FAILED", "interrupted", { cause }),
  };
}

/** `total` bytes of zeros in 1 MiB pieces, made as they are asked for. */
async function* zeros(total: number): AsyncGenerator<Uint8Array> {
  const piece = new Uint8Array(1024 * 1024);
  for (let sent = 0; sent < total; sent += piece.length) yield piece;
}

test("an upload the server stops reading is a timeout within the idle bound, not a wait for the headers", async (t) => {
  // Takes the connection and never reads from it: the socket buffers fill and the upload stops.
  const sockets: Socket[] = [];
  const server = createTcpServer((socket) => {
    socket.pause();
    sockets.push(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const { port } = server.address() as { port: number };
  const r = await timed(() =>
    send(
      `http://127.0.0.1:${port}/upload`,
      { method: "PUT", body: zeros(256 * 1024 * 1024) },
      options({ headersMs: 30_000, idleMs: 500 }),
    ),
  );
  assert.ok(isCudasealError(r.error, "FETCH_TIMEOUT"), `got ${(r.error as Error)?.stack ?? r.value?.status}`);
  assert.equal(r.error.details?.phase, "upload");
  assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
});

test("an upload longer than the headers bound, never idle past the idle bound, is answered", async (t) => {
  let received = 0;
  const s = await startServer((req, res) => {
    req.on("data", (chunk: Buffer) => {
      received += chunk.length;
    });
    req.on("end", () => res.writeHead(201).end());
  });
  t.after(() => s.close());
  async function* slow(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < 15; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      yield new Uint8Array(1000);
    }
  }
  const r = await timed(() =>
    send(`${s.url}/upload`, { method: "PUT", body: slow() }, options({ headersMs: 1000, idleMs: 1000 })),
  );
  assert.equal(r.error, undefined, `got ${(r.error as Error)?.stack}`);
  assert.equal(r.value?.status, 201);
  assert.equal(received, 15_000);
  assert.ok(r.ms > 2500, `took ${r.ms} ms: the upload should outlast the headers bound`);
});

test("a body the caller is slow to read is not blamed on the server", async (t) => {
  const s = await startServer((_req, res) => res.writeHead(200).end(Buffer.alloc(256 * 1024)));
  t.after(() => s.close());
  const res = await send(`${s.url}/doc`, {}, options({ headersMs: 1000, idleMs: 300 }));
  // Busy elsewhere for longer than the idle bound before reading a byte.
  await new Promise((resolve) => setTimeout(resolve, 800));
  assert.equal((await res.arrayBuffer()).byteLength, 256 * 1024);
});
