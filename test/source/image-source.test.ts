import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { writeDockerArchive } from "../../src/oci/docker-archive.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { writeOciArchive } from "../../src/oci/oci-archive.ts";
import { readFilesystem } from "../../src/source/filesystem.ts";
import { openImage } from "../../src/source/image-source.ts";
import { installedPackages, isPackageDb } from "../../src/source/packages.ts";
import { hasTool, run } from "../oci/fixture-image.ts";
import { makeImages } from "./fixture.ts";

let dir: string;
let images: ReturnType<typeof makeImages>;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "cudaseal-source-"));
  images = makeImages(dir);
  await writeOciLayout(join(dir, "layout"), images.single);
  await writeOciLayout(join(dir, "multi"), images.multi);
  await writeOciArchive(join(dir, "image.oci.tar"), images.single);
  await writeDockerArchive(join(dir, "image.docker.tar"), images.single, { tag: "fixture:v1" });
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** What a reader sees of an image: its file system and packages, in a form to compare. */
async function view(ref: string, arch?: string) {
  const image = await openImage(ref, { arch });
  const fs = await readFilesystem(image, { want: (p) => isPackageDb(p) || p === "/etc/hello" });
  const files = [...fs.files].sort(([a], [b]) => (a < b ? -1 : 1));
  return {
    config: image.config.rootfs,
    files,
    hello: fs.contents.get("/etc/hello")?.toString(),
    packages: installedPackages(fs),
  };
}

test("every transport reads the same file system and packages", async (t) => {
  const expected = await view(`oci:${join(dir, "layout")}:v1`);
  assert.equal(expected.hello, "hello again\n");
  assert.ok(expected.files.length > 10);
  const refs = [
    `oci:${join(dir, "layout")}`,
    `oci-archive:${join(dir, "image.oci.tar")}:v1`,
    `oci-archive:${join(dir, "image.oci.tar")}`,
    `docker-archive:${join(dir, "image.docker.tar")}:fixture:v1`,
    `docker-archive:${join(dir, "image.docker.tar")}`,
  ];
  if (hasTool("skopeo")) {
    const classic = join(dir, "classic.docker.tar");
    run("skopeo", [
      "--insecure-policy",
      "copy",
      `oci:${join(dir, "layout")}:v1`,
      `docker-archive:${classic}:fixture:v1`,
    ]);
    // Make sure this is the classic layout: no index.json, one tar per layer.
    const names = run("tar", ["-tf", classic]).split("\n");
    assert.ok(!names.includes("index.json") && names.includes("manifest.json"), names.join(" "));
    refs.push(`docker-archive:${classic}:fixture:v1`, `docker-archive:${classic}`);
  } else {
    t.diagnostic("skopeo not installed: the classic docker-archive layout is not checked");
  }
  for (const ref of refs) assert.deepEqual(await view(ref), expected, ref);
});

test("the manifest digest is the same through the layout and its archives", async () => {
  const layout = await openImage(`oci:${join(dir, "layout")}:v1`);
  const archive = await openImage(`oci-archive:${join(dir, "image.oci.tar")}:v1`);
  const docker = await openImage(`docker-archive:${join(dir, "image.docker.tar")}`);
  assert.match(layout.manifestDigest, /^sha256:[0-9a-f]{64}$/);
  assert.equal(archive.manifestDigest, layout.manifestDigest);
  assert.equal(docker.manifestDigest, layout.manifestDigest);
  assert.deepEqual(
    archive.layers.map((l) => [l.digest, l.size, l.mediaType]),
    layout.layers.map((l) => [l.digest, l.size, l.mediaType]),
  );
});

test("a multi-platform image is read for the platform asked", async () => {
  const arm = await view(`oci:${join(dir, "multi")}:v1`, "arm64");
  assert.ok(arm.files.some(([p]) => p === "/opt/arch"));
  assert.equal(arm.hello, "hello\n");
  const amd = await view(`oci:${join(dir, "multi")}:v1`, "amd64");
  assert.equal(amd.hello, "hello again\n");
});

test("an image chosen from an index knows the index's digest; one named directly has none", async () => {
  await writeOciArchive(join(dir, "multi.oci.tar"), images.multi);
  const index = JSON.parse(readFileSync(join(dir, "multi", "index.json"), "utf8"));
  const tagged = index.manifests.find(
    (m: { annotations?: Record<string, string> }) =>
      m.annotations?.["org.opencontainers.image.ref.name"] === "v1",
  );
  assert.equal(tagged.mediaType, "application/vnd.oci.image.index.v1+json");
  for (const ref of [`oci:${join(dir, "multi")}:v1`, `oci-archive:${join(dir, "multi.oci.tar")}:v1`]) {
    const amd = await openImage(ref, { arch: "amd64" });
    const arm = await openImage(ref, { arch: "arm64" });
    assert.equal(amd.indexDigest, tagged.digest, ref);
    assert.equal(arm.indexDigest, tagged.digest, ref);
    assert.notEqual(amd.manifestDigest, arm.manifestDigest, ref);
  }
  // A platform's own tag names its manifest: no index in between.
  const direct = await openImage(`oci:${join(dir, "multi")}:v1-arm64`);
  assert.equal(direct.indexDigest, undefined);
  assert.equal(
    direct.manifestDigest,
    (await openImage(`oci:${join(dir, "multi")}:v1`, { arch: "arm64" })).manifestDigest,
  );
  assert.equal((await openImage(`oci:${join(dir, "layout")}:v1`)).indexDigest, undefined);
  assert.equal((await openImage(`docker-archive:${join(dir, "image.docker.tar")}`)).indexDigest, undefined);
});

test("a layout or an OCI archive named by digest reads that index, or one platform's manifest index.json does not list; a digest it does not hold is IMAGE_INVALID", async () => {
  const layout = join(dir, "multi-untagged");
  const archive = join(dir, "multi-untagged.oci.tar");
  await writeOciLayout(layout, images.multi, { platformTags: false });
  await writeOciArchive(archive, images.multi, { platformTags: false });
  const byTag = await openImage(`oci:${layout}:v1`, { arch: "arm64" });
  assert.ok(byTag.indexDigest !== undefined);
  for (const at of [`oci:${layout}`, `oci-archive:${archive}`]) {
    const index = await openImage(`${at}@${byTag.indexDigest}`, { arch: "arm64" });
    assert.deepEqual(
      [index.indexDigest, index.manifestDigest],
      [byTag.indexDigest, byTag.manifestDigest],
      at,
    );
    const direct = await openImage(`${at}@${byTag.manifestDigest}`);
    assert.deepEqual([direct.indexDigest, direct.manifestDigest], [undefined, byTag.manifestDigest], at);
    assert.deepEqual(direct.config, byTag.config, at);
    await assert.rejects(
      openImage(`${at}@sha256:${"0".repeat(64)}`),
      (err) => isCudasealError(err, "IMAGE_INVALID"),
      at,
    );
  }
});

test("an unknown platform is IMAGE_INVALID listing those there are", async () => {
  await assert.rejects(openImage(`oci:${join(dir, "multi")}:v1`, { arch: "s390x" }), (err) => {
    assert.ok(isCudasealError(err, "IMAGE_INVALID"));
    assert.deepEqual(err.details?.available, ["linux/amd64", "linux/arm64/v8"]);
    return true;
  });
  await assert.rejects(
    openImage(`oci-archive:${join(dir, "image.oci.tar")}`, { arch: "arm64" }),
    (err) => isCudasealError(err, "IMAGE_INVALID") && err.message.includes("linux/amd64"),
  );
});

test("an unknown tag or name is IMAGE_INVALID", async () => {
  await assert.rejects(openImage(`oci:${join(dir, "layout")}:nope`), (err) =>
    isCudasealError(err, "IMAGE_INVALID"),
  );
  await assert.rejects(openImage(`docker-archive:${join(dir, "image.docker.tar")}:other:v1`), (err) =>
    isCudasealError(err, "IMAGE_INVALID"),
  );
});

test("a tampered layer blob is IMAGE_INVALID", async () => {
  const blobs = join(dir, "layout", "blobs", "sha256");
  const image = await openImage(`oci:${join(dir, "layout")}:v1`);
  const top = join(blobs, image.layers[1].digest.slice(7));
  const bytes = readFileSync(top);
  bytes[bytes.length >> 1] ^= 0xff;
  const tampered = join(dir, "tampered");
  await writeOciLayout(tampered, images.single);
  // The layout hardlinks its layers from where they were made: replace the file, never write through it.
  const victim = join(tampered, "blobs", "sha256", image.layers[1].digest.slice(7));
  rmSync(victim);
  writeFileSync(victim, bytes);
  const opened = await openImage(`oci:${tampered}:v1`);
  await assert.rejects(readFilesystem(opened), (err) => isCudasealError(err, "IMAGE_INVALID"));
  assert.ok(readdirSync(blobs).length > 0);
});

test("a tampered uncompressed layer in a docker archive is IMAGE_INVALID", {
  skip: !hasTool("skopeo"),
}, async () => {
  const classic = join(dir, "tampered.docker.tar");
  run("skopeo", [
    "--insecure-policy",
    "copy",
    `oci:${join(dir, "layout")}:v1`,
    `docker-archive:${classic}:fixture:v1`,
  ]);
  const bytes = readFileSync(classic);
  const at = bytes.indexOf("hello again");
  assert.ok(at > 0);
  bytes[at] ^= 0x20;
  writeFileSync(classic, bytes);
  const opened = await openImage(`docker-archive:${classic}`);
  await assert.rejects(readFilesystem(opened), (err) => {
    assert.ok(isCudasealError(err, "IMAGE_INVALID"));
    assert.match(err.message, /digest/);
    return true;
  });
});

test("a tampered config is IMAGE_INVALID when the image is opened", async () => {
  const layout = join(dir, "bad-config");
  await writeOciLayout(layout, images.single);
  const image = await openImage(`oci:${layout}:v1`);
  const manifest = JSON.parse(
    readFileSync(join(layout, "blobs", "sha256", image.manifestDigest.slice(7)), "utf8"),
  ) as { config: { digest: string } };
  const file = join(layout, "blobs", "sha256", manifest.config.digest.slice(7));
  const text = readFileSync(file, "utf8");
  rmSync(file);
  writeFileSync(file, text.replace("amd64", "arm64"));
  await assert.rejects(openImage(`oci:${layout}:v1`), (err) => isCudasealError(err, "IMAGE_INVALID"));
});
