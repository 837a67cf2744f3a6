import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { planImage } from "../../src/oci/image-plan.ts";
import { OCI_INDEX, OCI_MANIFEST } from "../../src/oci/media-types.ts";
import { makeFixture, platformImage, sha256 } from "./fixture-image.ts";

const dir = mkdtempSync(join(tmpdir(), "cudaseal-plan-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const fx = makeFixture(dir);

test("a single-platform image is its manifest, carrying the image-wide annotations", () => {
  const plan = planImage(fx.single);
  assert.equal(plan.index, undefined);
  assert.equal(plan.root.mediaType, OCI_MANIFEST);
  assert.deepEqual(plan.root.platform, { architecture: "amd64", os: "linux" });
  const manifest = JSON.parse(plan.platforms[0].manifest.bytes.toString());
  assert.deepEqual(manifest.annotations, {
    "org.opencontainers.image.title": "fixture",
    "org.example.platform": "amd64",
  });
  assert.equal(sha256(plan.platforms[0].manifest.bytes), plan.root.digest);
  assert.deepEqual(
    manifest.layers.map((l: { digest: string }) => l.digest),
    [fx.layers.base.digest, fx.layers.amd64.digest],
  );
});

test("a multi-platform image is an index over per-platform manifests", () => {
  const plan = planImage(fx.multi);
  assert.ok(plan.index);
  assert.equal(plan.root.mediaType, OCI_INDEX);
  assert.equal(plan.root.digest, sha256(plan.index.bytes));
  const index = JSON.parse(plan.index.bytes.toString());
  assert.deepEqual(
    index.manifests.map((m: { platform: unknown }) => m.platform),
    [
      { architecture: "amd64", os: "linux" },
      { architecture: "arm64", os: "linux", variant: "v8" },
    ],
  );
  assert.deepEqual(index.annotations, { "org.opencontainers.image.title": "fixture" });
});

test("planning is deterministic", () => {
  assert.deepEqual(planImage(fx.multi), planImage(fx.multi));
});

test("layers that disagree with the config, duplicate platforms and no platforms are IMAGE_INVALID", () => {
  const { base, amd64 } = fx.layers;
  const cases = [
    { platforms: [] },
    { platforms: [{ ...platformImage("amd64", [base, amd64]), layers: [amd64, base] }] },
    { platforms: [{ ...platformImage("amd64", [base, amd64]), layers: [base] }] },
    { platforms: [platformImage("amd64", [base]), platformImage("amd64", [amd64])] },
    { platforms: [platformImage("amd64", [{ ...base, mediaType: "text/plain" }])] },
    { platforms: [platformImage("amd64", [{ ...base, digest: "sha256:nothex" }])] },
  ];
  for (const image of cases) {
    assert.throws(
      () => planImage(image),
      (err) => isCudasealError(err, "IMAGE_INVALID"),
    );
  }
});
