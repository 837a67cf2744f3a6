// A real HTTP server on 127.0.0.1 that serves a tracker document the way a
// web server serves a static file: a strong ETag and Last-Modified, 304 for
// a matching If-None-Match or If-Modified-Since, gzip when asked. Tests
// change what it serves and how it fails, and read what it was asked.

import { createHash } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";

export interface TrackerServer {
  url: string;
  /** Replace the document served (bumps ETag and Last-Modified). */
  serve(body: string): void;
  /** Answer every request with this status instead (null: serve normally). */
  failWith: number | null;
  /** The request headers of every request so far. */
  requests: IncomingHttpHeaders[];
  /** Status codes sent, in order. */
  statuses: number[];
  close(): Promise<void>;
}

export async function startTrackerServer(body: string): Promise<TrackerServer> {
  let current = Buffer.from(body);
  let etag = "";
  let lastModified = "";
  let version = 0;
  const state: TrackerServer = {
    url: "",
    failWith: null,
    requests: [],
    statuses: [],
    serve(text: string) {
      current = Buffer.from(text);
      version++;
      etag = `"${createHash("sha256").update(current).digest("hex").slice(0, 16)}"`;
      lastModified = new Date(Date.UTC(2026, 0, 1, 0, version)).toUTCString();
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  state.serve(body);
  const server: Server = createServer((req, res) => {
    state.requests.push(req.headers);
    const send = (status: number, headers: Record<string, string> = {}, data?: Buffer) => {
      state.statuses.push(status);
      res.writeHead(status, headers);
      res.end(data);
    };
    if (state.failWith !== null) return send(state.failWith);
    if (req.headers["if-none-match"] === etag || req.headers["if-modified-since"] === lastModified)
      return send(304, { etag, "last-modified": lastModified });
    const gzip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
    const data = gzip ? gzipSync(current) : current;
    send(
      200,
      {
        "content-type": "application/json",
        "content-length": String(data.length),
        etag,
        "last-modified": lastModified,
        ...(gzip ? { "content-encoding": "gzip" } : {}),
      },
      data,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tracker/data/json`;
  return state;
}
