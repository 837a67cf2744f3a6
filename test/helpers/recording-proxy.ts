// A plain HTTP proxy on 127.0.0.1 in front of a test registry that records
// every request's method and path, so a test (or the rescan benchmark) can
// count what a client asked for: which blobs it read, how many manifests.
// It forwards bodies and headers untouched, keep-alive included.

import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordingProxy {
  /** `127.0.0.1:PORT`, to use as the registry host. */
  host: string;
  /** `METHOD /path?query` of every request so far. */
  requests: string[];
  /** The digests of blobs read with GET. */
  blobGets(): string[];
  close(): Promise<void>;
}

/** A proxy to `target` (`127.0.0.1:PORT`). */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const [targetHost, targetPort] = target.split(":");
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const upstream = request(
      {
        host: targetHost,
        port: Number(targetPort),
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    requests,
    blobGets: () =>
      requests.flatMap((r) => {
        const m = /^GET \/v2\/.+\/blobs\/(sha256:[0-9a-f]{64})/.exec(r);
        return m ? [m[1]] : [];
      }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
