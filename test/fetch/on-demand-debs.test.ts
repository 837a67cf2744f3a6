// OnDemandDebs against a file server on 127.0.0.1 that holds every answer
// until no request has come for a moment: the most requests it ever sees at
// once is how many downloads the fetcher lets run together. A layer (or a
// `trim: elf` pass) asks for all its packages at once; the mirror must see a
// bounded pool, each package once, every file verified against the lock.

import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import type { LockedPackage } from "../../src/apt/types.ts";
import { OnDemandDebs } from "../../src/fetch/on-demand-debs.ts";
import { tempStore } from "../helpers/store.ts";

test("packages asked for all at once are downloaded six at a time, each once, and verified", async (t) => {
  const files = new Map(Array.from({ length: 14 }, (_, i) => [`/pool/p${i}.deb`, randomBytes(2048)]));
  let inFlight = 0;
  let most = 0;
  const requests: string[] = [];
  let held: (() => void)[] = [];
  let timer: NodeJS.Timeout | undefined;
  const server = createServer((req, res) => {
    requests.push(req.url ?? "");
    inFlight++;
    most = Math.max(most, inFlight);
    held.push(() => {
      inFlight--;
      res.end(files.get(req.url ?? ""));
    });
    // Answer everything held once the requests stop coming.
    clearTimeout(timer);
    timer = setTimeout(() => {
      const now = held;
      held = [];
      for (const answer of now) answer();
    }, 150);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => server.close());
  const { store, remove } = await tempStore();
  t.after(remove);
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const packages: LockedPackage[] = [...files].map(([path, bytes], i) => ({
    name: `p${i}`,
    version: "1.0",
    arch: "amd64",
    source: `p${i}`,
    sourceVersion: "1.0",
    url: `${base}${path}`,
    filename: path.slice(1),
    size: bytes.length,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    dependsOn: [],
  }));

  const debs = new OnDemandDebs({ store });
  // Every package asked for twice at once: the second ask shares the first's download.
  const paths = await Promise.all([...packages, ...packages].map((p) => debs.file(p)));

  assert.ok(most <= 6, `at most 6 downloads at once, saw ${most}`);
  assert.equal(requests.length, packages.length, "each package downloaded once");
  assert.equal(debs.downloadedBytes, 14 * 2048);
  for (const [i, pkg] of packages.entries()) {
    const bytes = await readFile(paths[i]);
    assert.equal(createHash("sha256").update(bytes).digest("hex"), pkg.sha256);
  }
});
