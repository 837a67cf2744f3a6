// A registry whose tags list is no JSON object: a coded answer, not a crash.

import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { openRepository } from "../../src/registry/repository.ts";

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

async function answering(body: string): Promise<string> {
  const server = createServer((req, res) => {
    if (req.url === "/v2/") res.writeHead(200).end("{}");
    else res.writeHead(200, { "content-type": "application/json" }).end(body);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

for (const [what, body] of [
  ["not JSON", "<html>busy</html>"],
  ["JSON null", "null"],
]) {
  test(`a tags list that is ${what} is REGISTRY_INVALID_RESPONSE`, async () => {
    const host = await answering(body);
    await assert.rejects(openRepository(host, "team/app").tags(), (err) =>
      isCudasealError(err, "REGISTRY_INVALID_RESPONSE"),
    );
  });
}
