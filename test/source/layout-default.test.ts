// Which image an untagged `oci:DIR` means, with what a build, `sign` and
// `attest` leave in index.json beside it: SBOMs and attestations naming it
// as their subject, cosign's tags, and each platform under TAG-<arch>.

import assert from "node:assert/strict";
import { test } from "node:test";
import { CudasealError } from "../../src/errors.ts";
import type { Descriptor } from "../../src/oci/descriptor.ts";
import type { ImageRef } from "../../src/source/image-ref.ts";
import { defaultLayoutEntry, noDefaultImage } from "../../src/source/layout-default.ts";
import { transportOf } from "../../src/source/transports.ts";

const d = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const INDEX = "application/vnd.oci.image.index.v1+json";
const ref = (name: string) => ({ "org.opencontainers.image.ref.name": name });

// Entries and the documents they name, as a multi-platform build that was signed and attested leaves them.
const index: Descriptor = { mediaType: INDEX, digest: d(1), size: 1, annotations: ref("latest") };
const amd64: Descriptor = {
  mediaType: MANIFEST,
  digest: d(2),
  size: 1,
  annotations: ref("latest-amd64"),
  platform: { architecture: "amd64", os: "linux" },
};
const arm64: Descriptor = {
  mediaType: MANIFEST,
  digest: d(3),
  size: 1,
  annotations: ref("latest-arm64"),
  platform: { architecture: "arm64", os: "linux", variant: "v8" },
};
const sbom: Descriptor = {
  mediaType: MANIFEST,
  digest: d(4),
  size: 1,
  artifactType: "application/spdx+json",
};
const sig: Descriptor = {
  mediaType: MANIFEST,
  digest: d(5),
  size: 1,
  annotations: ref(`sha256-${d(1).slice(7)}.sig`),
};
// An attestation listed without its artifactType (by an older writer): only its subject tells.
const untypedReferrer: Descriptor = { mediaType: MANIFEST, digest: d(6), size: 1 };
const docs = new Map<string, Record<string, unknown>>([
  [d(1), { manifests: [amd64, arm64] }],
  [d(2), { layers: [] }],
  [d(3), { layers: [] }],
  [d(4), { subject: { digest: d(2) } }],
  [d(5), { layers: [] }],
  [d(6), { subject: { digest: d(1) } }],
]);
const read = async (e: Descriptor) => docs.get(e.digest);

test("a signed and attested multi-platform layout means its index: platform tags, SBOMs, signatures and referrers are passed over", async () => {
  const chosen = await defaultLayoutEntry([index, amd64, arm64, sbom, sbom, sig, untypedReferrer], read);
  assert.equal(chosen.entry?.digest, d(1));
});

test("a single-platform layout listed under TAG and TAG-<arch> means its one manifest", async () => {
  const tagged = { ...amd64, annotations: ref("latest") };
  const chosen = await defaultLayoutEntry([tagged, amd64, sbom], read);
  assert.equal(chosen.entry?.digest, d(2));
  assert.equal(chosen.entry?.annotations?.["org.opencontainers.image.ref.name"], "latest");
});

test("of several images, the one that carries a ref name; two named images are a USAGE error listing them", async () => {
  const stray: Descriptor = { mediaType: MANIFEST, digest: d(7), size: 1 };
  docs.set(d(7), { layers: [] });
  assert.equal((await defaultLayoutEntry([stray, index, amd64, arm64], read)).entry?.digest, d(1));
  const other: Descriptor = { ...stray, annotations: ref("v2") };
  const chosen = await defaultLayoutEntry([other, index, amd64, arm64], read);
  assert.equal(chosen.entry, undefined);
  const err = noDefaultImage("oci:out/x", chosen.entry === undefined ? chosen.candidates : []);
  assert.equal(err.code, "USAGE");
  assert.match(err.hint ?? "", /v2, latest/);
  assert.equal(noDefaultImage("oci:out/x", []).code, "IMAGE_INVALID");
});

test("a reference object of no known transport is a USAGE error, not a crash", () => {
  assert.throws(
    () => transportOf({ transport: "ftp" } as unknown as ImageRef),
    (err: unknown) => err instanceof CudasealError && err.code === "USAGE",
  );
});
