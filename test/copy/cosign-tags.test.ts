// The pure planner behind carrying cosign's tags: what is written under a
// `.sig`/`.att`/`.sbom` tag given the source's manifest and the destination's.

import assert from "node:assert/strict";
import { test } from "node:test";
import { planCosignTag } from "../../src/copy/cosign-tags.ts";
import type { StoredManifest } from "../../src/oci/artifact-store.ts";
import { sha256Digest } from "../../src/oci/descriptor.ts";
import { OCI_MANIFEST } from "../../src/oci/media-types.ts";
import { cosignTag } from "../../src/sign/index.ts";

const SIG = "dev.cosignproject.cosign/signature";
const payload = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;

function layer(digest: string, signature: string) {
  return {
    mediaType: "application/vnd.dev.cosign.simplesigning.v1+json",
    digest,
    size: 10,
    annotations: { [SIG]: signature },
  };
}

function manifest(layers: ReturnType<typeof layer>[], extra: Record<string, unknown> = {}): StoredManifest {
  const config = { mediaType: "application/vnd.oci.image.config.v1+json", digest: payload(9), size: 2 };
  const bytes = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers, ...extra }),
  );
  return { digest: sha256Digest(bytes), mediaType: OCI_MANIFEST, bytes };
}

const tag = cosignTag(payload(1), "sig");

test("the tag is cosign's", () => {
  assert.equal(tag, `sha256-${"1".repeat(64)}.sig`);
  assert.throws(() => cosignTag("md5:abc", "att"), { code: "IMAGE_INVALID" });
});

test("nothing at the destination: the source's bytes as they are", () => {
  const src = manifest([layer(payload(2), "a")]);
  const plan = planCosignTag(tag, src, undefined, "dst");
  assert.equal(plan.action, "copied");
  assert.equal(plan.write, src);
});

test("the same manifest, or one holding every source layer, is left alone", () => {
  const src = manifest([layer(payload(2), "a")]);
  assert.equal(planCosignTag(tag, src, src, "dst").action, "unchanged");
  const more = manifest([layer(payload(3), "b"), layer(payload(2), "a")]);
  const plan = planCosignTag(tag, src, more, "dst");
  assert.equal(plan.action, "unchanged");
  assert.equal(plan.write, undefined);
});

test("a different .sig merges: the destination's layers, then the source's it lacks", () => {
  // Same payload signed by another key: same layer digest, another signature; kept.
  const src = manifest([layer(payload(2), "a"), layer(payload(2), "other-key"), layer(payload(4), "c")]);
  const dst = manifest([layer(payload(3), "b"), layer(payload(2), "a")], { annotations: { keep: "me" } });
  const plan = planCosignTag(tag, src, dst, "dst");
  assert.equal(plan.action, "merged");
  assert.ok(plan.write);
  const doc = JSON.parse(plan.write.bytes.toString("utf8"));
  assert.deepEqual(
    doc.layers.map((l: { digest: string; annotations: Record<string, string> }) => [
      l.digest,
      l.annotations[SIG],
    ]),
    [
      [payload(3), "b"],
      [payload(2), "a"],
      [payload(2), "other-key"],
      [payload(4), "c"],
    ],
  );
  assert.deepEqual(doc.annotations, { keep: "me" });
  assert.equal(plan.write.digest, sha256Digest(plan.write.bytes));
  // The config is made for the merged layers and stored with the manifest.
  assert.equal(plan.made.length, 1);
  assert.equal(doc.config.digest, plan.made[0].desc.digest);
  const config = JSON.parse(plan.made[0].bytes.toString("utf8"));
  assert.deepEqual(
    config.rootfs.diff_ids,
    doc.layers.map((l: { digest: string }) => l.digest),
  );
  assert.equal(config.history.length, 4);
});

test("a different .sbom at the destination is kept", () => {
  const sbomTag = cosignTag(payload(1), "sbom");
  const plan = planCosignTag(
    sbomTag,
    manifest([layer(payload(2), "")]),
    manifest([layer(payload(3), "")]),
    "dst",
  );
  assert.equal(plan.action, "kept");
  assert.equal(plan.write, undefined);
});

test("a destination tag that is not an image manifest is refused, not overwritten", () => {
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] }));
  const index = { digest: sha256Digest(bytes), mediaType: "application/vnd.oci.image.index.v1+json", bytes };
  assert.throws(() => planCosignTag(tag, manifest([layer(payload(2), "a")]), index, "dst"), {
    code: "IMAGE_INVALID",
  });
});
