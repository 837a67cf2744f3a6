// Push, pull and copy against the real distribution registry: layouts made
// by the OCI writer, pushed and pulled back byte for byte; a second push
// that sends nothing; a mount across repositories; the chunked upload path;
// and skopeo reading what cudaseal pushed and pushing what cudaseal pulls.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { copyImage } from "../../src/copy/copy-image.ts";
import { isCudasealError } from "../../src/errors.ts";
import { planImage } from "../../src/oci/image-plan.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { buildManifest } from "../../src/oci/manifest.ts";
import { OCI_EMPTY } from "../../src/oci/media-types.ts";
import { openRegistryStore } from "../../src/registry/registry-store.ts";
import { openImage } from "../../src/source/image-source.ts";
import type { TestRegistry } from "../helpers/registry.ts";
import { hasTool, makeFixture, run, sha256 } from "../oci/fixture-image.ts";
import { type CopyFixture, closeCopyFixture, openCopyFixture } from "./copy-fixture.ts";

let copyFixture: CopyFixture | undefined;
let work: string;
let registry: TestRegistry;
let multi: string;
let single: string;

before(async () => {
  copyFixture = await openCopyFixture("cudaseal-copy-");
  ({ work, registry, multi, single } = copyFixture);
});

after(() => closeCopyFixture(copyFixture));

/** Every blob file of a layout, name → bytes. */
function blobs(dir: string): Map<string, Buffer> {
  const root = join(dir, "blobs", "sha256");
  return new Map(readdirSync(root).map((name) => [name, readFileSync(join(root, name))]));
}

test("a multi-arch index pushes and pulls back byte for byte", async () => {
  const pushed = await copyImage(`oci:${multi}:v1`, `${registry.host}/team/multi:v1`);
  assert.equal(pushed.mediaType, "application/vnd.oci.image.index.v1+json");
  assert.deepEqual(pushed.platforms.sort(), ["linux/amd64", "linux/arm64/v8"]);
  assert.equal(pushed.manifests, 3);
  // base + two arch layers + two configs
  assert.equal(pushed.blobs.total, 5);
  assert.equal(pushed.blobs.pushed, 5);

  const out = join(work, "pulled-multi");
  const pulled = await copyImage(`${registry.host}/team/multi:v1`, `oci:${out}:v1`);
  assert.equal(pulled.digest, pushed.digest);
  const want = blobs(multi);
  const got = blobs(out);
  // The source layout also holds the per-platform tags' entries; every blob the image needs is back, identical.
  for (const [name, bytes] of got) assert.deepEqual(bytes, want.get(name), name);
  assert.equal(got.size, 8);
  const index = JSON.parse(readFileSync(join(out, "index.json"), "utf8"));
  assert.equal(index.manifests[0].digest, pushed.digest);
  assert.equal(index.manifests[0].annotations["org.opencontainers.image.ref.name"], "v1");
});

test("a second push skips every blob", async () => {
  await copyImage(`oci:${single}:v1`, `${registry.host}/team/single:v1`);
  const again = await copyImage(`oci:${single}:v1`, `${registry.host}/team/single:v1`);
  assert.equal(again.blobs.pushed, 0);
  assert.equal(again.blobs.skipped, again.blobs.total);
  assert.equal(again.bytes.pushed, 0);
});

test("a blob held in another repository is mounted, not uploaded", async () => {
  await copyImage(`oci:${single}:v1`, `${registry.host}/team/source:v1`);
  const copied = await copyImage(`oci:${single}:v1`, `${registry.host}/team/mounted:v1`, {
    mountFrom: ["team/source"],
  });
  assert.equal(copied.blobs.mounted, copied.blobs.total);
  assert.equal(copied.blobs.pushed, 0);
  // Registry to registry on the same host mounts by itself.
  const r2r = await copyImage(`${registry.host}/team/source:v1`, `docker://${registry.host}/team/other:v2`);
  assert.equal(r2r.blobs.mounted, r2r.blobs.total);
});

test("chunked uploads reassemble to the same blobs", async () => {
  const pushed = await copyImage(`oci:${multi}:v1`, `${registry.host}/team/chunked:v1`, { chunkSize: 37 });
  assert.equal(pushed.blobs.pushed, 5);
  const out = join(work, "pulled-chunked");
  await copyImage(`${registry.host}/team/chunked:v1`, `oci:${out}:v1`);
  const want = blobs(multi);
  for (const [name, bytes] of blobs(out)) assert.deepEqual(bytes, want.get(name), name);
});

test("pull --arch copies one platform, and openImage reads registry images", async () => {
  await copyImage(`oci:${multi}:v1`, `${registry.host}/team/arch:v1`);
  const out = join(work, "pulled-arm64");
  const pulled = await copyImage(`${registry.host}/team/arch:v1`, `oci:${out}:arm`, { arch: "arm64" });
  assert.equal(pulled.mediaType, "application/vnd.oci.image.manifest.v1+json");
  assert.equal(pulled.blobs.total, 3);

  const image = await openImage(`${registry.host}/team/arch:v1`, { arch: "arm64" });
  assert.equal(image.manifestDigest, pulled.digest);
  assert.equal(image.config.architecture, "arm64");
  let bytes = 0;
  for (const layer of image.layers) for await (const chunk of layer.open()) bytes += chunk.length;
  assert.equal(
    bytes,
    image.layers.reduce((n, l) => n + l.size, 0),
  );
});

test("skopeo reads what cudaseal pushed, and cudaseal pulls what skopeo pushed", {
  skip: !hasTool("skopeo") && "skopeo missing",
}, async () => {
  await copyImage(`oci:${single}:v1`, `${registry.host}/team/skopeo:v1`);
  const inspect = JSON.parse(
    run("skopeo", ["inspect", "--tls-verify=false", `docker://${registry.host}/team/skopeo:v1`]),
  );
  assert.equal(inspect.Architecture, "amd64");
  assert.equal(inspect.Layers.length, 2);

  run("skopeo", [
    "copy",
    "--dest-tls-verify=false",
    `oci:${multi}:v1`,
    `docker://${registry.host}/team/by-skopeo:v1`,
    "--all",
  ]);
  const out = join(work, "pulled-skopeo");
  const pulled = await copyImage(`${registry.host}/team/by-skopeo:v1`, `oci:${out}:v1`);
  assert.deepEqual(pulled.platforms.sort(), ["linux/amd64", "linux/arm64/v8"]);
  const want = blobs(multi);
  for (const [name, bytes] of blobs(out)) assert.deepEqual(bytes, want.get(name), name);
});

const sbom = Buffer.from('{"spdxVersion":"SPDX-2.3","name":"fixture"}');

/** An SPDX SBOM of `image`, as the build stores it beside the image. */
function sbomOf(image: Parameters<typeof planImage>[0]) {
  const empty = Buffer.from("{}");
  const subject = planImage(image).root;
  return {
    manifest: buildManifest({
      artifactType: "application/spdx+json",
      config: { mediaType: OCI_EMPTY, digest: sha256(empty), size: empty.length },
      layers: [{ mediaType: "application/spdx+json", digest: sha256(sbom), size: sbom.length }],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    }),
    blobs: [
      { digest: sha256(sbom), bytes: sbom },
      { digest: sha256(empty), bytes: empty },
    ],
  };
}

test("an SBOM stored beside the image travels with it: push lists it as a referrer, pull brings it back", async () => {
  const fx = makeFixture(join(work, "fx-sbom"));
  const artifact = sbomOf(fx.multi);
  const dir = join(work, "with-sbom");
  const written = await writeOciLayout(dir, fx.multi, { artifacts: [artifact] });

  const pushed = await copyImage(`oci:${dir}:v1`, `${registry.host}/team/with-sbom:v1`);
  assert.equal(pushed.referrers, 1);
  const store = await openRegistryStore(`${registry.host}/team/with-sbom`);
  const listed = await store.referrers(pushed.digest, "application/spdx+json");
  assert.deepEqual(
    listed.map((d) => d.digest),
    [written.artifacts[0].digest],
  );

  const out = join(work, "pulled-with-sbom");
  const pulled = await copyImage(`${registry.host}/team/with-sbom:v1`, `oci:${out}:v1`);
  assert.equal(pulled.referrers, 1);
  const index = JSON.parse(readFileSync(join(out, "index.json"), "utf8"));
  const entry = index.manifests.find((d: { digest: string }) => d.digest === written.artifacts[0].digest);
  assert.equal(entry.artifactType, "application/spdx+json");
  assert.deepEqual(readFileSync(join(out, "blobs", "sha256", sha256(sbom).slice(7))), sbom);

  const without = await copyImage(`oci:${dir}:v1`, `${registry.host}/team/without-sbom:v1`, {
    referrers: false,
  });
  assert.equal(without.referrers, 0);
});

test("a layout named without its tag pushes its one image: the SBOM stored beside it is no second image", async () => {
  const fx = makeFixture(join(work, "fx-untagged"));
  const dir = join(work, "untagged-with-sbom");
  await writeOciLayout(dir, fx.single, { artifacts: [sbomOf(fx.single)] });
  const pushed = await copyImage(`oci:${dir}`, `${registry.host}/team/untagged:v1`);
  assert.equal(pushed.digest, planImage(fx.single).root.digest);
  assert.equal(pushed.referrers, 1);
  // A multi-platform layout untagged is its index: the TAG-<arch> entries are its own platforms.
  const whole = await copyImage(`oci:${multi}`, `${registry.host}/team/whole:v1`);
  assert.equal(whole.platforms.length, 2);
  // Two images and no tag: which one is meant cannot be told.
  await copyImage(`oci:${multi}:v1`, `oci:${dir}:v2`);
  await assert.rejects(copyImage(`oci:${dir}`, `${registry.host}/team/which:v1`), (err) =>
    isCudasealError(err, "USAGE"),
  );
});

test("push, pull and copy refuse the wrong kind of reference with USAGE (exit 2)", () => {
  const bin = join(import.meta.dirname, "../../bin/cudaseal.js");
  const cli = (args: string[]) => spawnSync(process.execPath, [bin, ...args, "--json"], { encoding: "utf8" });
  for (const args of [
    ["push", `oci:${single}:v1`, `oci:${join(work, "x")}`],
    ["pull", `oci:${single}:v1`, `oci:${join(work, "x")}`],
    ["copy", `oci:${single}:v1`],
    ["copy", `oci:${single}:v1`, "docker://noregistry:v1"],
  ]) {
    const r = cli(args);
    assert.equal(r.status, 2, args.join(" "));
    assert.equal(JSON.parse(r.stdout).error.code, "USAGE");
  }
});

test("a copy to a layout or an OCI archive named by digest is USAGE, and writes nothing", async () => {
  const digest = `sha256:${"ab".repeat(32)}`;
  for (const to of [
    `oci:${join(work, "by-digest")}@${digest}`,
    `oci-archive:${join(work, "by-digest.tar")}@${digest}`,
  ]) {
    await assert.rejects(copyImage(`oci:${single}:v1`, to), (err) => isCudasealError(err, "USAGE"), to);
  }
  assert.ok(!existsSync(join(work, "by-digest")) && !existsSync(join(work, "by-digest.tar")));
});
