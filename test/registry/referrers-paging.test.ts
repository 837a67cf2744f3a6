// A registry may split a referrers list into pages linked by `Link: <…>;
// rel="next"` (OCI distribution spec). Every page is read, so a signature on
// the second page is found; paging stops at the caller's cap and at a bound
// on pages, so a registry that links forever costs a bounded number of reads.

import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { OCI_INDEX } from "../../src/oci/media-types.ts";
import { listReferrers } from "../../src/registry/referrers.ts";
import { openRepository } from "../../src/registry/repository.ts";

const SUBJECT = `sha256:${"a".repeat(64)}`;
const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

function referrer(n: number, artifactType: string) {
  return {
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    digest: `sha256:${n.toString(16).padStart(64, "0")}`,
    size: 100,
    artifactType,
  };
}

/** A registry whose referrers list has `pages` pages of two, each linking the next (the last too, when `endless`). */
async function paging(pages: number, endless = false): Promise<{ host: string; reads: () => number }> {
  let reads = 0;
  const server = createServer((req, res) => {
    if (req.url === "/v2/") return res.writeHead(200).end("{}");
    const page = Number(new URL(req.url ?? "/", "http://x").searchParams.get("page") ?? "0");
    reads++;
    const headers: Record<string, string> = { "content-type": OCI_INDEX };
    if (endless || page + 1 < pages)
      headers.link = `</v2/team/app/referrers/${SUBJECT}?page=${page + 1}>; rel="next"`;
    const manifests = [
      referrer(page * 2 + 1, "application/x-sbom"),
      referrer(page * 2 + 2, "application/x-sig"),
    ];
    res.writeHead(200, headers).end(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, reads: () => reads };
}

test("every page of a paged referrers list is read, and the filter applies to all of them", async () => {
  const { host, reads } = await paging(3);
  const repo = openRepository(host, "team/app");
  const all = await listReferrers(repo, SUBJECT);
  assert.equal(all.length, 6);
  assert.equal(reads(), 3);
  const sigs = await listReferrers(repo, SUBJECT, "application/x-sig");
  assert.deepEqual(
    sigs.map((d) => d.artifactType),
    ["application/x-sig", "application/x-sig", "application/x-sig"],
  );
});

test("paging stops once past the caller's cap, and a list that links forever is bounded", async () => {
  const capped = await paging(10);
  const listed = await listReferrers(openRepository(capped.host, "team/app"), SUBJECT, undefined, 3);
  assert.equal(listed.length, 4, "past the cap, so the caller sees it was passed");
  assert.equal(capped.reads(), 2);
  const endless = await paging(0, true);
  await listReferrers(openRepository(endless.host, "team/app"), SUBJECT);
  assert.equal(endless.reads(), 64);
});

test("a next page that is no referrers index is REGISTRY_INVALID_RESPONSE", async () => {
  const server = createServer((req, res) => {
    if (req.url === "/v2/") return res.writeHead(200).end("{}");
    if (req.url?.includes("page=1")) return res.writeHead(404).end();
    res
      .writeHead(200, {
        "content-type": OCI_INDEX,
        link: `</v2/team/app/referrers/${SUBJECT}?page=1>; rel="next"`,
      })
      .end(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] }));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  await assert.rejects(listReferrers(openRepository(host, "team/app"), SUBJECT), (err) =>
    isCudasealError(err, "REGISTRY_INVALID_RESPONSE"),
  );
});
