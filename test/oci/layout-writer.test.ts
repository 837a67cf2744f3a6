import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { planImage } from "../../src/oci/image-plan.ts";
import type { Artifact } from "../../src/oci/layout-contents.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { buildManifest } from "../../src/oci/manifest.ts";
import { OCI_EMPTY, OCI_INDEX, OCI_MANIFEST } from "../../src/oci/media-types.ts";
import { hasTool, makeFixture, run, sha256 } from "./fixture-image.ts";
import { checkLayout } from "./layout-check.ts";

const root = mkdtempSync(join(tmpdir(), "cudaseal-layout-"));
after(() => rmSync(root, { recursive: true, force: true }));
const fx = makeFixture(root);
const noSkopeo = hasTool("skopeo") ? false : "skopeo is not installed (npm run setup-test-tools)";
const noUmoci = hasTool("umoci") ? false : "umoci is not installed (npm run setup-test-tools)";

function out(name: string): string {
  return join(root, "out", name);
}

function sbomArtifact(subject: ReturnType<typeof planImage>["root"]): Artifact {
  const sbom = Buffer.from('{"spdxVersion":"SPDX-2.3","name":"fixture"}');
  const empty = Buffer.from("{}");
  return {
    manifest: buildManifest({
      artifactType: "application/spdx+json",
      config: { mediaType: OCI_EMPTY, digest: sha256(empty), size: empty.length },
      layers: [{ mediaType: "application/spdx+json", digest: sha256(sbom), size: sbom.length }],
      subject,
      annotations: { "org.opencontainers.image.created": "2025-01-02T03:04:05Z" },
    }),
    blobs: [
      { digest: sha256(sbom), bytes: sbom },
      { digest: sha256(empty), bytes: empty },
    ],
  };
}

test("single platform: index.json names the manifest under the tag, and, asked to always, under TAG-<arch> as a multi-platform layout does", async () => {
  const dir = out("single");
  const written = await writeOciLayout(dir, fx.single, { platformTags: "always" });
  const index = checkLayout(dir);
  assert.equal(index.manifests.length, 2);
  for (const entry of index.manifests) {
    assert.equal(entry.mediaType, OCI_MANIFEST);
    assert.equal(entry.digest, written.image.digest);
  }
  assert.deepEqual(
    index.manifests.map((d) => d.annotations),
    [{ "org.opencontainers.image.ref.name": "v1" }, { "org.opencontainers.image.ref.name": "v1-amd64" }],
  );
  assert.deepEqual(written.tags, ["v1", "v1-amd64"]);
  assert.equal(written.platforms[0].tag, "v1-amd64");
  // The writer alone lists it once: `podman load` of an oci-archive takes one entry.
  const plain = out("single-default");
  await writeOciLayout(plain, fx.single);
  assert.equal(checkLayout(plain).manifests.length, 1);
  assert.equal(
    written.platforms[0].config.digest,
    JSON.parse(readManifest(dir, written.image.digest)).config.digest,
  );
  assert.deepEqual(
    written.platforms[0].layers.map((l) => l.digest),
    [fx.layers.base.digest, fx.layers.amd64.digest],
  );
});

test("a layer blob is a copy of the cache's file, not a link: a cache file changed in place later does not change the layout", async () => {
  const cacheDir = join(root, "own-cache");
  const own = makeFixture(cacheDir);
  const dir = out("single-copy");
  await writeOciLayout(dir, own.single);
  const blob = join(dir, "blobs", "sha256", own.layers.amd64.digest.slice(7));
  assert.notEqual(statSync(blob).ino, statSync(own.layers.amd64.path).ino);
  // Same inode, new bytes: what a hardlinked output would show.
  writeFileSync(own.layers.amd64.path, "damaged");
  checkLayout(dir);
});

test("layer blobs are copied when the output is on another filesystem", async (t) => {
  const other =
    existsSync("/dev/shm") && statSync("/dev/shm").dev !== statSync(root).dev ? "/dev/shm" : undefined;
  if (other === undefined) return t.skip("no second filesystem (/dev/shm) to write to");
  const parent = mkdtempSync(join(other, "cudaseal-layout-"));
  t.after(() => rmSync(parent, { recursive: true, force: true }));
  const dir = join(parent, "layout");
  await writeOciLayout(dir, fx.single);
  checkLayout(dir);
  const blob = statSync(join(dir, "blobs", "sha256", fx.layers.amd64.digest.slice(7)));
  assert.equal(blob.nlink, 1);
});

test("multi platform: index.json names a nested image index, and each platform as TAG-<arch>", async () => {
  const dir = out("multi");
  const written = await writeOciLayout(dir, fx.multi);
  const index = checkLayout(dir);
  assert.deepEqual(
    index.manifests.map((m) => [m.mediaType, m.annotations?.["org.opencontainers.image.ref.name"]]),
    [
      [OCI_INDEX, "v1"],
      [OCI_MANIFEST, "v1-amd64"],
      [OCI_MANIFEST, "v1-arm64"],
    ],
  );
  assert.equal(written.image.mediaType, OCI_INDEX);
  assert.deepEqual(
    written.platforms.map((p) => [p.platform.architecture, p.tag]),
    [
      ["amd64", "v1-amd64"],
      ["arm64", "v1-arm64"],
    ],
  );
  // The base layer is shared by both platforms and stored once.
  assert.equal(readdirSync(join(dir, "blobs", "sha256")).length, 3 + 2 * 2 + 1);
});

test("platformTags: false lists only the tagged index", async () => {
  const dir = out("multi-untagged-platforms");
  const written = await writeOciLayout(dir, fx.multi, { platformTags: false });
  assert.equal(checkLayout(dir).manifests.length, 1);
  assert.deepEqual(written.tags, ["v1"]);
});

test("artifacts are stored and listed in index.json with their artifactType", async () => {
  const dir = out("artifact");
  const artifact = sbomArtifact(planImage(fx.single).root);
  const written = await writeOciLayout(dir, fx.single, { artifacts: [artifact] });
  const index = checkLayout(dir);
  assert.equal(index.manifests.length, 2);
  const entry = index.manifests[1] as unknown as Record<string, unknown>;
  assert.equal(entry.artifactType, "application/spdx+json");
  assert.equal(entry.digest, written.artifacts[0].digest);
  assert.equal(
    entry.annotations && (entry.annotations as Record<string, string>)["org.opencontainers.image.ref.name"],
    undefined,
  );
  const manifest = JSON.parse(readManifest(dir, written.artifacts[0].digest));
  assert.equal(manifest.subject.digest, written.image.digest);
});

test("an artifact naming a blob nobody supplied, or supplying wrong bytes, is IMAGE_INVALID", async () => {
  const artifact = sbomArtifact(planImage(fx.single).root);
  await assert.rejects(
    writeOciLayout(out("bad-artifact-1"), fx.single, {
      artifacts: [{ ...artifact, blobs: [artifact.blobs[0]] }],
    }),
    (err) => isCudasealError(err, "IMAGE_INVALID"),
  );
  const wrong = { digest: artifact.blobs[0].digest, bytes: Buffer.from("other") };
  await assert.rejects(
    writeOciLayout(out("bad-artifact-2"), fx.single, { artifacts: [{ ...artifact, blobs: [wrong] }] }),
    (err) => isCudasealError(err, "IMAGE_INVALID"),
  );
  assert.ok(!existsSync(out("bad-artifact-1")) && !existsSync(out("bad-artifact-2")));
});

test("the same input gives byte-identical layouts", async () => {
  const a = await writeOciLayout(out("det-a"), fx.multi);
  const b = await writeOciLayout(out("det-b"), fx.multi);
  assert.deepEqual(a, b);
  for (const name of ["index.json", "oci-layout"]) {
    assert.deepEqual(readFileSync(join(out("det-a"), name)), readFileSync(join(out("det-b"), name)));
  }
  const blobs = readdirSync(join(out("det-a"), "blobs", "sha256"));
  assert.deepEqual(blobs, readdirSync(join(out("det-b"), "blobs", "sha256")));
});

test("a failing write leaves no output, and keeps a previous output intact", async () => {
  const broken = {
    ...fx.single,
    platforms: [
      {
        ...fx.single.platforms[0],
        layers: [{ ...fx.layers.base, path: join(root, "gone.tar.gz") }, fx.layers.amd64],
      },
    ],
  };
  await assert.rejects(writeOciLayout(out("never"), broken), (err) => isCudasealError(err, "IMAGE_INVALID"));
  assert.ok(!existsSync(out("never")));

  const dir = out("kept");
  await writeOciLayout(dir, fx.single);
  const before = readFileSync(join(dir, "index.json"));
  const wrongSize = {
    ...fx.single,
    platforms: [{ ...fx.single.platforms[0], layers: [{ ...fx.layers.base, size: 1 }, fx.layers.amd64] }],
  };
  await assert.rejects(writeOciLayout(dir, wrongSize), (err) => isCudasealError(err, "IMAGE_INVALID"));
  await assert.rejects(writeOciLayout(dir, broken), (err) => isCudasealError(err, "IMAGE_INVALID"));
  assert.deepEqual(readFileSync(join(dir, "index.json")), before);
  checkLayout(dir);
  assert.deepEqual(
    readdirSync(out("")).filter((n) => n.startsWith(".")),
    [],
    "no temporary directories left behind",
  );
});

test("verifyBlobs catches a layer file whose bytes do not match its digest", async () => {
  const lying = {
    ...fx.single,
    platforms: [
      {
        ...fx.single.platforms[0],
        layers: [
          { ...fx.layers.base, path: fx.layers.arm64.path, size: fx.layers.arm64.size },
          fx.layers.amd64,
        ],
      },
    ],
  };
  await assert.rejects(writeOciLayout(out("lying"), lying, { verifyBlobs: true }), (err) =>
    isCudasealError(err, "IMAGE_INVALID"),
  );
});

test("an invalid tag is IMAGE_INVALID", async () => {
  await assert.rejects(writeOciLayout(out("bad-tag"), { ...fx.single, tag: "no spaces" }), (err) =>
    isCudasealError(err, "IMAGE_INVALID"),
  );
});

test("skopeo reads single- and multi-platform layouts", { skip: noSkopeo }, async () => {
  const single = out("skopeo-single");
  const multi = out("skopeo-multi");
  const ws = await writeOciLayout(single, fx.single, {
    artifacts: [sbomArtifact(planImage(fx.single).root)],
  });
  const wm = await writeOciLayout(multi, fx.multi);

  const info = JSON.parse(run("skopeo", ["inspect", `oci:${single}:v1`]));
  assert.equal(info.Digest, ws.image.digest);
  assert.equal(info.Architecture, "amd64");
  assert.deepEqual(info.Layers, [fx.layers.base.digest, fx.layers.amd64.digest]);
  assert.equal(sha256(Buffer.from(run("skopeo", ["inspect", "--raw", `oci:${single}:v1`]))), ws.image.digest);

  assert.equal(sha256(Buffer.from(run("skopeo", ["inspect", "--raw", `oci:${multi}:v1`]))), wm.image.digest);
  const arm = JSON.parse(run("skopeo", ["--override-arch", "arm64", "inspect", `oci:${multi}:v1`]));
  // skopeo reports the digest of what the tag names (the index) and the
  // config of the platform it chose from it.
  assert.equal(arm.Digest, wm.image.digest);
  assert.equal(arm.Architecture, "arm64");
  assert.equal(JSON.parse(run("skopeo", ["inspect", `oci:${multi}:v1`])).Architecture, "amd64");
  assert.equal(
    JSON.parse(run("skopeo", ["inspect", `oci:${multi}:v1-arm64`])).Digest,
    wm.platforms[1].manifest.digest,
  );

  run("skopeo", ["copy", "-q", `oci:${single}:v1`, `dir:${out("skopeo-dir")}`]);
  assert.ok(existsSync(join(out("skopeo-dir"), fx.layers.amd64.digest.slice(7))));

  // Copying every platform keeps the index byte for byte.
  run("skopeo", ["copy", "-q", "--all", `oci:${multi}:v1`, `oci:${out("skopeo-all")}:v1`]);
  const copied = JSON.parse(readFileSync(join(out("skopeo-all"), "index.json"), "utf8"));
  assert.equal(copied.manifests[0].digest, wm.image.digest);
});

test("umoci unpacks a single-platform tag and each TAG-<arch> of a multi-platform one", {
  skip: noUmoci,
}, async () => {
  const single = out("umoci-single");
  const multi = out("umoci-multi");
  await writeOciLayout(single, fx.single, { artifacts: [sbomArtifact(planImage(fx.single).root)] });
  await writeOciLayout(multi, fx.multi);
  run("umoci", ["unpack", "--rootless", "--image", `${single}:v1`, out("bundle-single")]);
  assert.equal(readFileSync(join(out("bundle-single"), "rootfs", "opt", "arch"), "utf8"), "amd64\n");
  assert.equal(readFileSync(join(out("bundle-single"), "rootfs", "etc", "hello"), "utf8"), "hello\n");
  const config = JSON.parse(readFileSync(join(out("bundle-single"), "config.json"), "utf8"));
  assert.deepEqual(config.process.args, ["/bin/sh", "-c", "cat /opt/arch"]);
  assert.equal(config.process.cwd, "/work");
  for (const arch of ["amd64", "arm64"]) {
    run("umoci", ["unpack", "--rootless", "--image", `${multi}:v1-${arch}`, out(`bundle-${arch}`)]);
    assert.equal(readFileSync(join(out(`bundle-${arch}`), "rootfs", "opt", "arch"), "utf8"), `${arch}\n`);
  }
  // umoci unpacks one manifest per tag: the index tag itself is ambiguous to
  // it, which is why the per-platform tags exist.
  assert.throws(
    () => run("umoci", ["unpack", "--rootless", "--image", `${multi}:v1`, out("bundle-index")]),
    /ambiguous/,
  );
});

function readManifest(dir: string, digest: string): string {
  return readFileSync(join(dir, "blobs", "sha256", digest.slice(7)), "utf8");
}
