// Copying to archives: layouts made by the OCI writer and images on the real
// distribution registry copied to oci-archive: and docker-archive:, then read
// back by skopeo, podman and cudaseal itself, with the digests the formats keep.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { copyImage } from "../../src/copy/copy-image.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { hostArch, openImage } from "../../src/source/image-source.ts";
import type { TestRegistry } from "../helpers/registry.ts";
import { hasTool, makeFixture, run, sha256 } from "../oci/fixture-image.ts";
import { throwawayPodman } from "../oci/podman.ts";
import { type CopyFixture, closeCopyFixture, openCopyFixture } from "./copy-fixture.ts";

let copyFixture: CopyFixture | undefined;
let work: string;
let registry: TestRegistry;
let multi: string;
let single: string;

before(async () => {
  copyFixture = await openCopyFixture("cudaseal-copy-archive-");
  ({ work, registry, multi, single } = copyFixture);
});

after(() => closeCopyFixture(copyFixture));

/** The entry names of a tar, as GNU tar lists them. */
function tarNames(file: string): string[] {
  return run("tar", ["-tf", file]).trim().split("\n");
}

/** The config digest a manifest blob of a layout names. */
function configDigest(layout: string, manifest: string): string {
  const doc = JSON.parse(readFileSync(join(layout, "blobs", "sha256", manifest.slice(7)), "utf8"));
  return doc.config.digest;
}

const skopeo = !hasTool("skopeo") && "skopeo missing";

test("oci-archive: a multi-platform index, byte for byte, which skopeo and cudaseal read back", {
  skip: skopeo,
}, async () => {
  const file = join(work, "out", "multi.oci.tar");
  const copied = await copyImage(`oci:${multi}:v1`, `oci-archive:${file}:v1`);
  assert.equal(copied.destination, `oci-archive:${file}:v1`);
  assert.equal(copied.mediaType, "application/vnd.oci.image.index.v1+json");
  assert.deepEqual(copied.platforms.sort(), ["linux/amd64", "linux/arm64/v8"]);
  assert.equal(copied.blobs.total, 5);

  const names = tarNames(file);
  assert.ok(names.includes("oci-layout") && names.includes("index.json"), names.join(" "));
  // The temporary layout is gone; only the archive is left.
  assert.deepEqual(readdirSync(join(work, "out")), ["multi.oci.tar"]);

  const raw = run("skopeo", ["inspect", "--raw", `oci-archive:${file}:v1`]);
  assert.equal(sha256(Buffer.from(raw)), copied.digest);
  const inspected = JSON.parse(
    run("skopeo", ["inspect", "--override-arch", "arm64", `oci-archive:${file}:v1`]),
  );
  assert.equal(inspected.Architecture, "arm64");

  const image = await openImage(`oci-archive:${file}:v1`, { arch: "arm64" });
  assert.equal(image.indexDigest, copied.digest);
  assert.equal(image.config.architecture, "arm64");
  const back = await copyImage(`oci-archive:${file}:v1`, `oci:${join(work, "back-multi")}:v1`);
  assert.equal(back.digest, copied.digest);
});

test("docker-archive: one platform, named, which skopeo and cudaseal read with its config digest", {
  skip: skopeo,
}, async () => {
  const file = join(work, "multi.docker.tar");
  const copied = await copyImage(`oci:${multi}:v1`, `docker-archive:${file}:example.com/team/app:1.0`, {
    arch: "arm64",
  });
  assert.equal(copied.destination, `docker-archive:${file}:example.com/team/app:1.0`);
  assert.equal(copied.mediaType, "application/vnd.oci.image.manifest.v1+json");
  assert.equal(copied.blobs.total, 3);
  const config = configDigest(multi, copied.digest);

  const names = tarNames(file);
  for (const name of ["manifest.json", "repositories", "index.json", "oci-layout"])
    assert.ok(names.includes(name), `${name} in ${names.join(" ")}`);
  const tar = spawnSync("tar", ["-xOf", file, "manifest.json"], { encoding: "utf8" });
  const [entry] = JSON.parse(tar.stdout);
  assert.deepEqual(entry.RepoTags, ["example.com/team/app:1.0"]);
  assert.equal(entry.Config, `blobs/sha256/${config.slice(7)}`);
  assert.equal(entry.Layers.length, 2);

  const rawConfig = run("skopeo", ["inspect", "--config", "--raw", `docker-archive:${file}`]);
  assert.equal(sha256(Buffer.from(rawConfig)), config);
  const inspected = JSON.parse(run("skopeo", ["inspect", `docker-archive:${file}`]));
  assert.equal(inspected.Architecture, "arm64");
  assert.equal(inspected.Layers.length, 2);

  // cudaseal reads it through its OCI layout: the manifest digest survives too.
  const image = await openImage(`docker-archive:${file}:example.com/team/app:1.0`);
  assert.equal(image.manifestDigest, copied.digest);
  assert.equal(image.config.architecture, "arm64");
  let bytes = 0;
  for (const layer of image.layers) for await (const chunk of layer.open()) bytes += chunk.length;
  assert.equal(
    bytes,
    image.layers.reduce((n, l) => n + l.size, 0),
  );
});

test("docker-archive: an index without --arch gives the host's platform", async () => {
  const file = join(work, "host.docker.tar");
  const copied = await copyImage(`oci:${multi}:v1`, `docker-archive:${file}`);
  const image = await openImage(`docker-archive:${file}`);
  assert.equal(image.manifestDigest, copied.digest);
  assert.equal(image.config.architecture, hostArch());
  const [entry] = JSON.parse(spawnSync("tar", ["-xOf", file, "manifest.json"], { encoding: "utf8" }).stdout);
  assert.equal(entry.RepoTags, null);
});

test("podman loads the docker-archive and the oci-archive", async (t) => {
  // A short root of its own: podman refuses a runroot path longer than 50 characters.
  const store = mkdtempSync(join(tmpdir(), "cs-podman-"));
  const podman = throwawayPodman(store);
  t.after(() => {
    if (typeof podman !== "string") podman.reset();
    rmSync(store, { recursive: true, force: true });
  });
  if (typeof podman === "string") return t.skip(podman);
  const docker = join(work, "podman.docker.tar");
  const copied = await copyImage(`oci:${single}:v1`, `docker-archive:${docker}:cudaseal-test/copied:v1`);
  assert.match(podman.run(["load", "-i", docker]), /Loaded image: localhost\/cudaseal-test\/copied:v1/);
  const [loaded] = JSON.parse(podman.run(["image", "inspect", "localhost/cudaseal-test/copied:v1"]));
  assert.equal(`sha256:${loaded.Id}`, configDigest(single, copied.digest));

  const oci = join(work, "podman.oci.tar");
  await copyImage(`oci:${single}:v1`, `oci-archive:${oci}:v1`);
  podman.run(["pull", "-q", `oci-archive:${oci}:v1`]);
});

test("registry → docker-archive: named after the registry reference, read back by skopeo", {
  skip: skopeo,
}, async () => {
  await copyImage(`oci:${single}:v1`, `${registry.host}/team/to-archive:v1`);
  const file = join(work, "from-registry.tar");
  const copied = await copyImage(`${registry.host}/team/to-archive:v1`, `docker-archive:${file}`);
  assert.equal(copied.blobs.pushed, 3);
  const [entry] = JSON.parse(spawnSync("tar", ["-xOf", file, "manifest.json"], { encoding: "utf8" }).stdout);
  assert.deepEqual(entry.RepoTags, [`${registry.host}/team/to-archive:v1`]);
  const inspected = JSON.parse(run("skopeo", ["inspect", `docker-archive:${file}`]));
  assert.equal(inspected.Layers.length, 2);
  const rawConfig = run("skopeo", ["inspect", "--config", "--raw", `docker-archive:${file}`]);
  assert.equal(sha256(Buffer.from(rawConfig)), configDigest(single, copied.digest));
  const image = await openImage(`docker-archive:${file}:${registry.host}/team/to-archive:v1`);
  assert.equal(image.manifestDigest, copied.digest);
});

test("a failed copy leaves neither the archive nor its temporary layout, and an old archive stays", async () => {
  const dir = join(work, "failed");
  mkdirSync(dir);
  const file = join(dir, "app.tar");
  writeFileSync(file, "old");
  await assert.rejects(copyImage(`oci:${single}:nosuchtag`, `oci-archive:${file}:v1`), {
    code: "IMAGE_INVALID",
  });
  await assert.rejects(copyImage(`oci:${multi}:v1`, `docker-archive:${file}`, { arch: "s390x" }), {
    code: "IMAGE_INVALID",
  });
  await assert.rejects(copyImage(`oci:${single}:v1`, `docker-archive:${file}:Bad Name`), { code: "USAGE" });
  assert.deepEqual(readdirSync(dir), ["app.tar"]);
  assert.equal(readFileSync(file, "utf8"), "old");
});

test("a corrupt blob fails the copy to an archive", async () => {
  const bad = join(work, "corrupt");
  await writeOciLayout(bad, makeFixture(join(work, "fx-corrupt")).single);
  const blobs = join(bad, "blobs", "sha256");
  // The largest blob is a layer: same size, different bytes.
  const [layer] = readdirSync(blobs)
    .map((name) => ({ name, bytes: readFileSync(join(blobs, name)) }))
    .sort((a, b) => b.bytes.length - a.bytes.length);
  layer.bytes[layer.bytes.length - 1] ^= 0xff;
  writeFileSync(join(blobs, layer.name), layer.bytes);
  const dir = join(work, "corrupt-out");
  await assert.rejects(copyImage(`oci:${bad}:v1`, `docker-archive:${join(dir, "x.tar")}`), {
    code: "IMAGE_INVALID",
  });
  assert.deepEqual(readdirSync(dir), []);
});

test("cudaseal copy --json reports a copy to an archive", () => {
  const bin = join(import.meta.dirname, "../../bin/cudaseal.js");
  const file = join(work, "cli.tar");
  const r = spawnSync(process.execPath, [bin, "copy", `oci:${single}:v1`, `oci-archive:${file}`, "--json"], {
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.destination, `oci-archive:${file}`);
  const index = JSON.parse(readFileSync(join(single, "index.json"), "utf8"));
  assert.equal(summary.digest, index.manifests[0].digest);
  assert.equal(summary.blobs.pushed, 3);
});
