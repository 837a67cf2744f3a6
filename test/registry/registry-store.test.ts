// The registry ArtifactStore against the real registry (distribution 2.8,
// which has no referrers API, so the `sha256-HEX` fallback index is used),
// and docker-archive sources, classic and OCI, copied to a registry.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { copyImage } from "../../src/copy/copy-image.ts";
import { isCudasealError } from "../../src/errors.ts";
import { sha256Digest } from "../../src/oci/descriptor.ts";
import { writeDockerArchive } from "../../src/oci/docker-archive.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { OCI_EMPTY, OCI_MANIFEST } from "../../src/oci/media-types.ts";
import { writeOciArchive } from "../../src/oci/oci-archive.ts";
import { referrersTag } from "../../src/registry/referrers.ts";
import { openRegistryStore } from "../../src/registry/registry-store.ts";
import { openRepository } from "../../src/registry/repository.ts";
import { openImage } from "../../src/source/image-source.ts";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { hasTool, makeFixture, run } from "../oci/fixture-image.ts";

let work: string;
let registry: TestRegistry;
let fx: ReturnType<typeof makeFixture>;

before(async () => {
  work = mkdtempSync(join(tmpdir(), "cudaseal-store-"));
  fx = makeFixture(join(work, "fx"));
  registry = await startRegistry();
});

after(async () => {
  await registry?.stop();
  rmSync(work, { recursive: true, force: true });
});

test("a referrer pushed through the store is listed by the fallback tag, filtered by artifact type", async () => {
  const layout = join(work, "layout");
  await writeOciLayout(layout, fx.single);
  const image = await copyImage(`oci:${layout}:v1`, `${registry.host}/team/signed:v1`);
  const store = await openRegistryStore(`${registry.host}/team/signed`);
  assert.equal(store.name, `${registry.host}/team/signed`);

  const subject = await store.getManifest("v1");
  assert.equal(subject?.digest, image.digest);
  const empty = await store.putBlob(Buffer.from("{}"), OCI_EMPTY);
  const payload = await store.putBlob(
    Buffer.from('{"signed":true}'),
    "application/vnd.dev.cosign.simplesigning.v1+json",
  );
  const referrer = (artifactType: string) =>
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType,
        config: empty,
        layers: [payload],
        subject: { mediaType: subject!.mediaType, digest: subject!.digest, size: subject!.bytes.length },
        annotations: { "org.example.kind": artifactType },
      }),
    );
  const sig = await store.putManifest(referrer("application/vnd.example.signature"), OCI_MANIFEST);
  const sbom = await store.putManifest(referrer("application/spdx+json"), OCI_MANIFEST);
  // Pushing the same referrer twice lists it once.
  await store.putManifest(referrer("application/spdx+json"), OCI_MANIFEST);

  const all = await store.referrers(image.digest);
  assert.deepEqual(all.map((d) => d.digest).sort(), [sig.digest, sbom.digest].sort());
  const sboms = await store.referrers(image.digest, "application/spdx+json");
  assert.deepEqual(
    sboms.map((d) => [d.digest, d.artifactType, d.annotations?.["org.example.kind"]]),
    [[sbom.digest, "application/spdx+json", "application/spdx+json"]],
  );
  assert.ok(await store.getManifest(referrersTag(image.digest)));
  assert.deepEqual(await store.referrers(sha256Digest(Buffer.from("no such image"))), []);

  assert.equal((await store.getBlob(payload.digest, 1024)).toString(), '{"signed":true}');
  await assert.rejects(store.getBlob(payload.digest, 4), (err) => isCudasealError(err, "IMAGE_INVALID"));
  assert.equal(await store.getManifest("no-such-tag"), undefined);
});

test("docker-archive sources: the OCI form keeps its digest, the classic form gets a manifest", async () => {
  const archive = join(work, "app.tar");
  await writeDockerArchive(archive, fx.single, { tag: "app:1.0", arch: "amd64" });
  const pushed = await copyImage(`docker-archive:${archive}`, `${registry.host}/team/from-archive:1.0`);
  assert.equal(pushed.blobs.total, 3);
  const image = await openImage(`${registry.host}/team/from-archive:1.0`, { arch: "amd64" });
  assert.equal(image.config.architecture, "amd64");

  const ociArchive = join(work, "app.oci.tar");
  await writeOciArchive(ociArchive, fx.multi);
  const fromOciArchive = await copyImage(
    `oci-archive:${ociArchive}:v1`,
    `${registry.host}/team/from-oci-archive:v1`,
  );
  assert.deepEqual(fromOciArchive.platforms.sort(), ["linux/amd64", "linux/arm64/v8"]);

  if (!hasTool("skopeo")) return;
  const layout = join(work, "for-skopeo");
  await writeOciLayout(layout, fx.single);
  const classic = join(work, "classic.tar");
  run("skopeo", ["copy", `oci:${layout}:v1`, `docker-archive:${classic}:app:1.0`]);
  const fromClassic = await copyImage(
    `docker-archive:${classic}:app:1.0`,
    `${registry.host}/team/classic:1.0`,
  );
  assert.equal(fromClassic.mediaType, "application/vnd.docker.distribution.manifest.v2+json");
  const inspect = JSON.parse(
    run("skopeo", ["inspect", "--tls-verify=false", `docker://${registry.host}/team/classic:1.0`]),
  );
  assert.equal(inspect.Digest, fromClassic.digest);
  assert.equal(inspect.Layers.length, 2);
});

test("tags are listed and a manifest HEAD gives its digest without its body", async () => {
  const layout = join(work, "tags");
  await writeOciLayout(layout, fx.single);
  const one = await copyImage(`oci:${layout}:v1`, `${registry.host}/team/tags:one`);
  await copyImage(`oci:${layout}:v1`, `${registry.host}/team/tags:two`);
  const repo = openRepository(registry.host, "team/tags");
  assert.deepEqual((await repo.tags()).sort(), ["one", "two"]);
  assert.deepEqual(await openRepository(registry.host, "team/none").tags(), []);
  const head = await repo.headManifest("one");
  assert.equal(head?.digest, one.digest);
  assert.equal(head?.mediaType, one.mediaType);
  assert.equal(await repo.headManifest("three"), undefined);
});
