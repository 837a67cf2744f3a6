// A repository's tags as rescan targets, from a registry that pages its tags
// list: the cap stops the paging instead of holding every page, and what
// the list says that is no image tag (fallback and cosign tags, names
// outside the tag grammar) is left out; a repository with none is refused.

import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, test } from "node:test";
import { repositoryRefs } from "../../src/rescan/index.ts";

const FALLBACK = `sha256-${"ab".repeat(32)}`;
const PAGES = [
  ["1.0", "1.1", FALLBACK, `${FALLBACK}.sig`],
  ["2.0", "evil\u001b[2J", "../up", "2.1"],
  ["3.0", "3.1"],
];

/** A registry whose tags list is PAGES, one per request, linked by `Link`; it counts the pages asked for. */
async function pagedRegistry(): Promise<{ host: string; pagesServed: () => number }> {
  let served = 0;
  const server = createServer((req, res) => {
    if (req.url === "/v2/") return res.writeHead(200).end("{}");
    if (req.url?.startsWith("/v2/team/none/"))
      return res.writeHead(404).end('{"errors":[{"code":"NAME_UNKNOWN"}]}');
    const page = Number(new URL(req.url ?? "", "http://x").searchParams.get("page") ?? "0");
    served++;
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (page + 1 < PAGES.length)
      headers.link = `</v2/team/app/tags/list?n=1000&page=${page + 1}>; rel="next"`;
    res.writeHead(200, headers).end(JSON.stringify({ name: "team/app", tags: PAGES[page] }));
  });
  after(() => server.close());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, pagesServed: () => served };
}

test("every page is read, and only image tags in the tag grammar are targets", async () => {
  const reg = await pagedRegistry();
  const refs = await repositoryRefs(`${reg.host}/team/app`);
  assert.deepEqual(
    refs.map((r) => r.slice(`${reg.host}/team/app:`.length)),
    ["1.0", "1.1", "2.0", "2.1", "3.0", "3.1"],
  );
  assert.equal(reg.pagesServed(), 3);
});

test("past --max-tags the paging stops and the repository is REGISTRY_TOO_LARGE", async () => {
  const reg = await pagedRegistry();
  await assert.rejects(repositoryRefs(`${reg.host}/team/app`, { maxTags: 3 }), {
    code: "REGISTRY_TOO_LARGE",
  });
  assert.equal(reg.pagesServed(), 2);
});

test("a repository the registry does not know (or with no image tags) is REGISTRY_NOT_FOUND, not a rescan of nothing", async () => {
  const reg = await pagedRegistry();
  await assert.rejects(repositoryRefs(`${reg.host}/team/none`), { code: "REGISTRY_NOT_FOUND" });
});
