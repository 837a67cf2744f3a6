import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { writeOciArchive } from "../../src/oci/oci-archive.ts";
import { hasTool, makeFixture, run, sha256 } from "./fixture-image.ts";
import { checkLayout } from "./layout-check.ts";
import { throwawayPodman } from "./podman.ts";

const root = mkdtempSync(join(tmpdir(), "cudaseal-oci-archive-"));
after(() => rmSync(root, { recursive: true, force: true }));
const fx = makeFixture(root);
const outDir = join(root, "out");
mkdirSync(outDir);
const noSkopeo = hasTool("skopeo") ? false : "skopeo is not installed (npm run setup-test-tools)";

test("the archive is the layout, in name order, and extracts to a valid layout", async () => {
  const file = join(outDir, "multi.tar");
  const written = await writeOciArchive(file, fx.multi);
  const names = run("tar", ["-tf", file]).trim().split("\n");
  const blobs = names.filter((n) => n.startsWith("blobs/sha256/") && n !== "blobs/sha256/");
  assert.deepEqual(names, ["blobs/", "blobs/sha256/", ...blobs, "index.json", "oci-layout"]);
  assert.deepEqual(blobs, [...blobs].sort());
  const extracted = join(outDir, "multi-extracted");
  mkdirSync(extracted);
  run("tar", ["-xf", file, "-C", extracted]);
  const index = checkLayout(extracted);
  assert.equal(index.manifests[0].digest, written.image.digest);
  // Entries are owned by root with fixed times, whoever writes them.
  const verbose = run("tar", ["--numeric-owner", "-tvf", file]);
  for (const line of verbose.trim().split("\n")) assert.match(line, /^\S+ 0\/0 /);
});

test("the same input gives a byte-identical archive", async () => {
  await writeOciArchive(join(outDir, "a.tar"), fx.multi);
  await writeOciArchive(join(outDir, "b.tar"), fx.multi);
  assert.deepEqual(readFileSync(join(outDir, "a.tar")), readFileSync(join(outDir, "b.tar")));
});

test("a failing write leaves no file and keeps a previous archive", async () => {
  const broken = {
    ...fx.single,
    platforms: [
      {
        ...fx.single.platforms[0],
        layers: [{ ...fx.layers.base, path: join(root, "gone") }, fx.layers.amd64],
      },
    ],
  };
  const dir = join(root, "atomic");
  mkdirSync(dir);
  await assert.rejects(writeOciArchive(join(dir, "never.tar"), broken), (err) =>
    isCudasealError(err, "IMAGE_INVALID"),
  );
  assert.ok(!existsSync(join(dir, "never.tar")));
  await writeOciArchive(join(dir, "kept.tar"), fx.single);
  const before = readFileSync(join(dir, "kept.tar"));
  await assert.rejects(writeOciArchive(join(dir, "kept.tar"), broken), (err) =>
    isCudasealError(err, "IMAGE_INVALID"),
  );
  assert.deepEqual(readFileSync(join(dir, "kept.tar")), before);
  assert.deepEqual(readdirSync(dir), ["kept.tar"]);
});

test("skopeo reads the archive and copies from it", { skip: noSkopeo }, async () => {
  const single = join(outDir, "skopeo-single.tar");
  const multi = join(outDir, "skopeo-multi.tar");
  const ws = await writeOciArchive(single, fx.single);
  const wm = await writeOciArchive(multi, fx.multi);
  const info = JSON.parse(run("skopeo", ["inspect", `oci-archive:${single}:v1`]));
  assert.equal(info.Digest, ws.image.digest);
  assert.deepEqual(info.Layers, [fx.layers.base.digest, fx.layers.amd64.digest]);
  assert.equal(
    sha256(Buffer.from(run("skopeo", ["inspect", "--raw", `oci-archive:${multi}:v1`]))),
    wm.image.digest,
  );
  const arm = JSON.parse(run("skopeo", ["--override-arch", "arm64", "inspect", `oci-archive:${multi}:v1`]));
  assert.equal(arm.Architecture, "arm64");
  run("skopeo", ["copy", "-q", "--all", `oci-archive:${multi}:v1`, `oci:${join(outDir, "from-archive")}:v1`]);
  assert.equal(checkLayout(join(outDir, "from-archive")).manifests[0].digest, wm.image.digest);
});

test("podman loads the archive", async (t) => {
  const podman = throwawayPodman(root);
  if (typeof podman === "string") return t.skip(podman);
  t.after(() => podman.reset());
  const file = join(outDir, "podman.tar");
  const written = await writeOciArchive(file, fx.single);
  podman.run(["load", "-q", "-i", file]);
  const [image] = JSON.parse(podman.run(["image", "inspect", written.platforms[0].config.digest.slice(7)]));
  assert.equal(image.Digest, written.image.digest);
  assert.equal(image.Architecture, "amd64");
});
