// Copies into an OCI layout that do not finish: a registry that lost a blob
// half-way through a pull, and a disk that fills. The destination must be
// absent or whole afterwards: a new layout does not appear at all, an
// existing one keeps exactly the files it had and stays valid. And the
// copies that do finish into an existing folder publish a whole layout.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { after, before, test } from "node:test";
import { copyImage } from "../../src/copy/copy-image.ts";
import { isCudasealError } from "../../src/errors.ts";
import type { LayerBlob } from "../../src/oci/image-plan.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { OCI_LAYER_GZIP } from "../../src/oci/media-types.ts";
import { runCli } from "../helpers/cli.ts";
import { hasTool, platformImage, run, sha256 } from "../oci/fixture-image.ts";
import { checkLayout } from "../oci/layout-check.ts";
import { smallDisk } from "../oci/small-disk.ts";
import { type CopyFixture, closeCopyFixture, openCopyFixture } from "./copy-fixture.ts";

let fx: CopyFixture;
/** `team/broken:v1`: the multi-platform image, with the blob of one layer deleted from the registry's storage. */
let broken: string;

before(async () => {
  fx = await openCopyFixture("cudaseal-copy-failure-");
  broken = `${fx.registry.host}/team/broken:v1`;
  await copyImage(`oci:${fx.multi}:v1`, broken);
  const layer = armLayerDigest(fx.multi).slice("sha256:".length);
  rmSync(join(fx.registry.storage, "docker/registry/v2/blobs/sha256", layer.slice(0, 2), layer), {
    recursive: true,
  });
});

after(() => closeCopyFixture(fx));

/** The digest of the arm64 platform's own layer in a layout written from the fixture. */
function armLayerDigest(layout: string): string {
  const blob = (digest: string) =>
    JSON.parse(readFileSync(join(layout, "blobs/sha256", digest.slice(7)), "utf8"));
  const root = JSON.parse(readFileSync(join(layout, "index.json"), "utf8")).manifests[0];
  const arm = blob(root.digest).manifests.find(
    (m: { platform: { architecture: string } }) => m.platform.architecture === "arm64",
  );
  return blob(arm.digest).layers.at(-1).digest;
}

/** Every file under `dir`, with its bytes, relative to it. */
function snapshot(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.set(relative(dir, path), readFileSync(path));
    }
  };
  walk(dir);
  return files;
}

/** Names beside `dir` that a copy into it may have left: `.NAME.…`. */
function leftovers(dir: string): string[] {
  return readdirSync(dirname(dir)).filter((name) => name.startsWith(`.${basename(dir)}.`));
}

test("a pull from a registry that lost a blob half-way leaves no oci:DIR and nothing beside it", async () => {
  const out = join(fx.work, "pulled-broken");
  await assert.rejects(copyImage(broken, `oci:${out}:v1`), (err) => isCudasealError(err));
  assert.equal(existsSync(out), false, "no half layout (oci-layout and some blobs, no index.json)");
  assert.deepEqual(leftovers(out), []);
});

test("a failed pull into an existing layout leaves exactly the files it had, and a valid layout", async () => {
  const out = join(fx.work, "existing");
  await copyImage(`oci:${fx.single}:v1`, `oci:${out}:v1`);
  const before = snapshot(out);
  await assert.rejects(copyImage(broken, `oci:${out}:v2`), (err) => isCudasealError(err));
  assert.deepEqual(snapshot(out), before, "no blob of the failed copy, no staging folder");
  const index = checkLayout(out);
  assert.deepEqual(
    index.manifests.map((m) => m.annotations?.["org.opencontainers.image.ref.name"]),
    ["v1"],
  );
});

test("a pull that adds a tag to an existing layout publishes a whole layout with both images", async () => {
  const out = join(fx.work, "two-tags");
  await copyImage(`oci:${fx.single}:v1`, `oci:${out}:v1`);
  await copyImage(`oci:${fx.multi}:v1`, `${fx.registry.host}/team/good:v1`);
  await copyImage(`${fx.registry.host}/team/good:v1`, `oci:${out}:v2`);
  const index = checkLayout(out);
  assert.deepEqual(index.manifests.map((m) => m.annotations?.["org.opencontainers.image.ref.name"]).sort(), [
    "v1",
    "v2",
  ]);
  assert.deepEqual(
    readdirSync(out).sort(),
    ["blobs", "index.json", "oci-layout"],
    "no staging folder or lock left",
  );
  if (hasTool("skopeo")) {
    for (const tag of ["v1", "v2"]) JSON.parse(run("skopeo", ["inspect", `oci:${out}:${tag}`]));
  }
});

test("a pull into an empty folder that already exists makes a whole layout in it", async () => {
  const out = join(fx.work, "empty-folder");
  mkdirSync(out);
  await copyImage(`oci:${fx.single}:v1`, `oci:${out}:v1`);
  checkLayout(out);
  assert.deepEqual(leftovers(out), []);
});

/** A one-layer layout of 1.3 MB: random bytes, which no filesystem compresses. */
async function bigLayout(): Promise<string> {
  const big = join(fx.work, "big");
  if (existsSync(big)) return big;
  const bytes = randomBytes(1_300_000);
  const path = join(fx.work, "big-layer");
  writeFileSync(path, bytes);
  const layer: LayerBlob = {
    path,
    digest: sha256(bytes),
    size: bytes.length,
    diffId: sha256(bytes),
    mediaType: OCI_LAYER_GZIP,
  };
  await writeOciLayout(big, { platforms: [platformImage("amd64", [layer])], annotations: {}, tag: "v1" });
  return big;
}

// The 1.3 MB image fits no 1 MiB disk, as a layout or as an archive.
for (const [kind, name, size] of [
  ["oci", "image", "1m"],
  ["oci-archive", "image.tar", "1m"],
  ["docker-archive", "image.tar", "1m"],
]) {
  test(`a copy to ${kind}: onto a full disk is DISK_FULL (exit 1, not a bug), and leaves nothing there`, async (t) => {
    const disk = smallDisk(size);
    if (typeof disk === "string") {
      t.skip(disk);
      return;
    }
    t.after(() => disk.remove());
    const r = await runCli([
      "copy",
      `oci:${await bigLayout()}:v1`,
      `${kind}:${join(disk.path, name)}`,
      "--json",
    ]);
    assert.equal(r.status, 1, r.stderr);
    const error = JSON.parse(r.stdout).error;
    assert.equal(error.code, "DISK_FULL");
    assert.equal(error.details.folder, "output");
    assert.deepEqual(readdirSync(disk.path), [], "no image, no staging folder, no temporary layout");
  });
}

// An archive streams into its tar: it needs its own size on disk once, where a
// temporary layout beside it needed twice that, and did not fit 2 MiB.
for (const kind of ["oci-archive", "docker-archive"]) {
  test(`a copy to ${kind}: of a 1.3 MB image fits a 2 MiB disk: no layout is staged beside the tar`, async (t) => {
    const disk = smallDisk("2m");
    if (typeof disk === "string") {
      t.skip(disk);
      return;
    }
    t.after(() => disk.remove());
    const r = await runCli([
      "copy",
      `oci:${await bigLayout()}:v1`,
      `${kind}:${join(disk.path, "image.tar")}`,
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readdirSync(disk.path), ["image.tar"]);
  });
}
