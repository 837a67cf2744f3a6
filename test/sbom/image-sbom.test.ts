// The SBOM of an image cudaseal did not build: packages read from the
// image's dpkg status, status.d and apk databases, through every transport,
// valid against the official schemas.

import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { writeDockerArchive } from "../../src/oci/docker-archive.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { distroOf, imageSbomModel } from "../../src/sbom/image-sbom.ts";
import { cyclonedxDocument, spdxDocument } from "../../src/sbom/index.ts";
import { cyclonedxValidator, spdxValidator } from "../helpers/sbom-schemas.ts";
import { makeImages } from "../source/fixture.ts";

let dir: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "cudaseal-image-sbom-"));
  const { single } = makeImages(dir);
  await writeOciLayout(join(dir, "layout"), single);
  await writeDockerArchive(join(dir, "image.tar"), single, { tag: "vendor/app:1" });
});
after(() => rm(dir, { recursive: true, force: true }));

test("the packages of a foreign image, the same through every transport", async () => {
  const fromLayout = await imageSbomModel(`oci:${join(dir, "layout")}`);
  const fromArchive = await imageSbomModel(`docker-archive:${join(dir, "image.tar")}`);
  assert.deepEqual(
    fromArchive.packages.map((p) => p.purl),
    fromLayout.packages.map((p) => p.purl),
  );
  const names = fromLayout.packages.map((p) => p.name);
  assert.ok(names.includes("libc6") && names.includes("tzdata") && names.includes("musl"), names.join(","));
  assert.ok(!names.includes("oldpkg"), "a package not `install ok installed` is not in the image");
  const musl = fromLayout.packages.find((p) => p.name === "musl")!;
  assert.match(musl.purl, /^pkg:apk\//);
  for (const p of fromLayout.packages) {
    assert.equal(p.sha256, undefined, "nothing is known of the files packages came from");
  }
});

test("it validates as SPDX 2.3 and CycloneDX 1.6", async () => {
  const model = await imageSbomModel(`oci:${join(dir, "layout")}`);
  const spdx = spdxValidator();
  assert.ok(spdx(spdxDocument(model)), JSON.stringify(spdx.errors));
  const cdx = cyclonedxValidator();
  assert.ok(cdx(cyclonedxDocument(model)), JSON.stringify(cdx.errors));
});

test("os-release names the distribution of the purls", () => {
  assert.deepEqual(distroOf('ID=ubuntu\nVERSION_ID="24.04"\n'), { id: "ubuntu", versionId: "24.04" });
  assert.deepEqual(distroOf(""), { id: "debian", versionId: undefined });
});
