// Which platform images a reference leads to: every platform of an index
// (attestation entries left out), one with --arch, and an index listing more
// platforms than any image has is refused rather than rescanned in part.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { OCI_INDEX, OCI_MANIFEST } from "../../src/oci/media-types.ts";
import { platformImages } from "../../src/rescan/platforms.ts";
import type { ImageReader } from "../../src/source/types.ts";

const digestOf = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;

/** A reader whose reference names an index of `arches` (one manifest entry each), plus one attestation entry. */
function indexReader(arches: readonly string[]): ImageReader {
  const manifests = arches.map((architecture) => ({
    mediaType: OCI_MANIFEST,
    digest: digestOf(architecture),
    size: 100,
    platform: { os: "linux", architecture },
  }));
  manifests.push({
    mediaType: OCI_MANIFEST,
    digest: digestOf("attestation"),
    size: 100,
    platform: { os: "unknown", architecture: "unknown" },
  });
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }));
  const manifest = { digest: digestOf(bytes.toString()), mediaType: OCI_INDEX, bytes };
  const unused = () => {
    throw new Error("not read by platformImages");
  };
  return {
    label: "registry.example/team/app:1.0",
    root: async () => ({ manifest }),
    manifest: unused,
    blobBytes: unused,
    blob: unused,
    referrers: unused,
    tagged: unused,
  };
}

test("every platform of an index is an image of its own, the attestation entry left out", async () => {
  const images = await platformImages(indexReader(["amd64", "arm64"]));
  assert.deepEqual(
    images.map((i) => [i.platform, i.arch]),
    [
      ["linux/amd64", "amd64"],
      ["linux/arm64", "arm64"],
    ],
  );
  assert.deepEqual(
    (await platformImages(indexReader(["amd64", "arm64"]), "arm64")).map((i) => i.platform),
    ["linux/arm64"],
  );
});

test("an index listing more platforms than the cap is refused, not rescanned in part", async () => {
  const arches = Array.from({ length: 65 }, (_, i) => `arch${i}`);
  await assert.rejects(platformImages(indexReader(arches)), { code: "IMAGE_INVALID" });
  // At the cap it is read whole.
  assert.equal((await platformImages(indexReader(arches.slice(0, 64)))).length, 64);
});
