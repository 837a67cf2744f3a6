// `catalog join`'s refusals: before it asks any registry, every image and
// tag in the one repository the index goes to, and each --to a tag; then a
// registry (a small node server) whose manifest or config is no JSON object.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { it } from "node:test";
import { joinIndex } from "../../src/catalog/index.ts";
import { CudasealError } from "../../src/errors.ts";
import { OCI_MANIFEST } from "../../src/oci/media-types.ts";

async function usage(sources: string[], targets: string[]): Promise<string> {
  const err = await joinIndex({ sources, targets }).then(
    () => assert.fail("joined"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CudasealError);
  assert.equal(err.code, "USAGE");
  return err.message;
}

it("refuses images of another repository, a --to without a tag, and nothing to join", async () => {
  assert.match(
    await usage(["reg.example/team/a:1-amd64", "reg.example/team/b:1-arm64"], ["reg.example/team/a:1"]),
    /one repository: reg\.example\/team\/b/,
  );
  assert.match(await usage(["reg.example/team/a:1-amd64"], ["other.example/team/a:1"]), /one repository/);
  assert.match(await usage(["reg.example/team/a:1-amd64"], ["reg.example/team/a"]), /names a tag/);
  assert.match(await usage([], ["reg.example/team/a:1"]), /at least one/);
});

it("refuses a manifest or a config that is JSON but no object: IMAGE_INVALID", async () => {
  const config = Buffer.from("null");
  const configDigest = `sha256:${createHash("sha256").update(config).digest("hex")}`;
  const manifests: Record<string, string> = {
    "null-amd64": "null",
    "1-amd64": JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: 4 },
      layers: [],
    }),
  };
  const server = createServer((req, res) => {
    const tag = /\/manifests\/([^/]+)$/.exec(req.url ?? "")?.[1];
    if (tag !== undefined && manifests[tag] !== undefined) {
      res.writeHead(200, { "content-type": OCI_MANIFEST }).end(manifests[tag]);
    } else if (req.url === `/v2/team/a/blobs/${configDigest}`) {
      res.writeHead(200, { "content-type": "application/octet-stream" }).end(config);
    } else res.writeHead(req.url === "/v2/" ? 200 : 404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const tag of ["null-amd64", "1-amd64"]) {
      const err = await joinIndex({ sources: [`${host}/team/a:${tag}`], targets: [`${host}/team/a:1`] }).then(
        () => assert.fail("joined"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof CudasealError, String(err));
      assert.equal(err.code, "IMAGE_INVALID", `${tag}: ${err.message}`);
    }
  } finally {
    server.close();
  }
});
