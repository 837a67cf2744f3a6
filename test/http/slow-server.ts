// Deliberately slow HTTP servers on 127.0.0.1, for the timeouts: one that
// trickles a body in small pieces, one that stops in the middle of a body,
// one that never answers at all. Each counts the requests it was sent and
// closes every connection it holds when the test ends.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface SlowServer {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** `127.0.0.1:PORT`. */
  host: string;
  /** Requests received so far. */
  requests: number;
  server: Server;
  close(): Promise<void>;
}

/** A server on 127.0.0.1 answering with `handler`; it counts requests. */
export async function startServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  address = "127.0.0.1",
): Promise<SlowServer> {
  const slow = { requests: 0 } as SlowServer;
  const server = createServer((req, res) => {
    slow.requests++;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const host = `${address}:${(server.address() as AddressInfo).port}`;
  Object.assign(slow, {
    url: `http://${host}`,
    host,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return slow;
}

/** Send `body` in `pieces` parts, one every `everyMs`, after the headers. */
export function trickle(
  res: ServerResponse,
  body: Buffer,
  pieces: number,
  everyMs: number,
  headers: Record<string, string> = {},
): void {
  res.writeHead(200, { "content-length": String(body.length), ...headers });
  const size = Math.ceil(body.length / pieces);
  let at = 0;
  const next = () => {
    if (res.destroyed) return;
    res.write(body.subarray(at, at + size));
    at += size;
    if (at >= body.length) res.end();
    else setTimeout(next, everyMs);
  };
  next();
}

/** Send the headers and the first `bytes` of `body`, then nothing more, the connection held open. */
export function stallAfter(
  res: ServerResponse,
  body: Buffer,
  bytes: number,
  headers: Record<string, string> = {},
): void {
  res.writeHead(200, { "content-length": String(body.length), ...headers });
  res.write(body.subarray(0, bytes));
}

/** Milliseconds `work` took, and its outcome. */
export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const start = performance.now();
  try {
    const value = await work();
    return { ms: performance.now() - start, value };
  } catch (error) {
    return { ms: performance.now() - start, error };
  }
}
