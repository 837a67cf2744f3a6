import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { parseDockerRef, writeDockerArchive } from "../../src/oci/docker-archive.ts";
import { hasTool, makeFixture, run } from "./fixture-image.ts";
import { checkLayout } from "./layout-check.ts";
import { throwawayPodman } from "./podman.ts";

const root = mkdtempSync(join(tmpdir(), "cudaseal-docker-archive-"));
after(() => rmSync(root, { recursive: true, force: true }));
const fx = makeFixture(root);
const outDir = join(root, "out");
mkdirSync(outDir);
const noSkopeo = hasTool("skopeo") ? false : "skopeo is not installed (npm run setup-test-tools)";
const NAME = "cudaseal-test/fixture:v1";

function extract(file: string): string {
  const dir = `${file}.d`;
  mkdirSync(dir);
  run("tar", ["-xf", file, "-C", dir]);
  return dir;
}

test("the archive is an OCI layout plus manifest.json and repositories", async () => {
  const file = join(outDir, "single.tar");
  const written = await writeDockerArchive(file, fx.single, { tag: NAME });
  const dir = extract(file);
  assert.deepEqual(readdirSync(dir).sort(), [
    "blobs",
    "index.json",
    "manifest.json",
    "oci-layout",
    "repositories",
  ]);
  const index = checkLayout(dir);
  assert.deepEqual(index.manifests.length, 1);
  assert.equal(index.manifests[0].digest, written.image.digest);
  assert.deepEqual(index.manifests[0].annotations, {
    "io.containerd.image.name": NAME,
    "org.opencontainers.image.ref.name": "v1",
  });
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  assert.deepEqual(manifest, [
    {
      Config: `blobs/sha256/${written.platforms[0].config.digest.slice(7)}`,
      RepoTags: [NAME],
      Layers: [fx.layers.base, fx.layers.amd64].map((l) => `blobs/sha256/${l.digest.slice(7)}`),
    },
  ]);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, "repositories"), "utf8")), {
    "cudaseal-test/fixture": { v1: fx.layers.amd64.digest.slice(7) },
  });
});

test("one platform of a multi-platform image is chosen by arch", async () => {
  const file = join(outDir, "arm64.tar");
  const written = await writeDockerArchive(file, fx.multi, { arch: "arm64", tag: NAME });
  assert.deepEqual(written.platforms[0].platform, { architecture: "arm64", os: "linux", variant: "v8" });
  const dir = extract(file);
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  assert.equal(manifest[0].Layers.at(-1), `blobs/sha256/${fx.layers.arm64.digest.slice(7)}`);
  // Only the chosen platform's blobs: two layers, config, manifest.
  assert.equal(readdirSync(join(dir, "blobs", "sha256")).length, 4);
});

test("a missing or unknown arch, and a bad name, are IMAGE_INVALID", async () => {
  for (const options of [{}, { arch: "s390x" }, { arch: "amd64", tag: "Upper/Case:1" }]) {
    await assert.rejects(writeDockerArchive(join(outDir, "bad.tar"), fx.multi, options), (err) =>
      isCudasealError(err, "IMAGE_INVALID"),
    );
  }
  assert.ok(!existsSync(join(outDir, "bad.tar")));
});

test("names parse as Docker references", () => {
  assert.deepEqual(parseDockerRef("cuda"), { name: "cuda", tag: "latest" });
  assert.deepEqual(parseDockerRef("localhost:5000/ml/cuda:12.8-runtime"), {
    name: "localhost:5000/ml/cuda",
    tag: "12.8-runtime",
  });
  for (const bad of ["Cuda:1", "cuda:", "cuda:-x", "a//b", "cuda@sha256:00", "-cuda"]) {
    assert.throws(
      () => parseDockerRef(bad),
      (err) => isCudasealError(err, "IMAGE_INVALID"),
      bad,
    );
  }
});

test("an untagged archive has no RepoTags and no repositories file", async () => {
  const file = join(outDir, "untagged.tar");
  await writeDockerArchive(file, fx.single);
  const dir = extract(file);
  assert.equal(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"))[0].RepoTags, null);
  assert.ok(!existsSync(join(dir, "repositories")));
});

test("the same input gives a byte-identical archive; a failed write keeps the old one", async () => {
  const a = join(outDir, "det-a.tar");
  const b = join(outDir, "det-b.tar");
  await writeDockerArchive(a, fx.multi, { arch: "amd64", tag: NAME });
  await writeDockerArchive(b, fx.multi, { arch: "amd64", tag: NAME });
  assert.deepEqual(readFileSync(a), readFileSync(b));
  const broken = {
    ...fx.single,
    platforms: [
      {
        ...fx.single.platforms[0],
        layers: [{ ...fx.layers.base, path: join(root, "gone") }, fx.layers.amd64],
      },
    ],
  };
  await assert.rejects(writeDockerArchive(a, broken, { tag: NAME }), (err) =>
    isCudasealError(err, "IMAGE_INVALID"),
  );
  assert.deepEqual(readFileSync(a), readFileSync(b));
});

test("skopeo reads the archive", { skip: noSkopeo }, async () => {
  const file = join(outDir, "skopeo.tar");
  await writeDockerArchive(file, fx.single, { tag: NAME });
  const info = JSON.parse(run("skopeo", ["inspect", `docker-archive:${file}`]));
  assert.equal(info.Architecture, "amd64");
  assert.deepEqual(info.Env, ["PATH=/usr/local/bin:/usr/bin:/bin", "ARCH=amd64"]);
  // The classic reader addresses layers by diff ID and decompresses the gzip'd blobs.
  assert.deepEqual(info.Layers, [fx.layers.base.diffId, fx.layers.amd64.diffId]);
  run("skopeo", ["copy", "-q", `docker-archive:${file}`, `oci:${join(outDir, "from-docker")}:v1`]);
});

test("podman loads the archive, through the OCI layout and through manifest.json", async (t) => {
  const podman = throwawayPodman(root);
  if (typeof podman === "string") return t.skip(podman);
  t.after(() => podman.reset());
  const file = join(outDir, "podman.tar");
  const written = await writeDockerArchive(file, fx.multi, { arch: "arm64", tag: NAME });
  const id = written.platforms[0].config.digest.slice(7);

  // `podman load` takes the OCI layout and names the image from index.json.
  assert.match(podman.run(["load", "-i", file]), /Loaded image: localhost\/cudaseal-test\/fixture:v1/);
  const [loaded] = JSON.parse(podman.run(["image", "inspect", `localhost/${NAME}`]));
  assert.equal(loaded.Id, id);
  assert.equal(loaded.Digest, written.image.digest);
  assert.equal(loaded.Architecture, "arm64");
  assert.deepEqual(loaded.Config.Cmd, ["cat /opt/arch"]);
  podman.run(["rmi", "-f", id]);

  // The docker-archive transport reads manifest.json and must accept the gzip'd layers.
  podman.run(["pull", "-q", `docker-archive:${file}`]);
  const [pulled] = JSON.parse(podman.run(["image", "inspect", id]));
  assert.equal(pulled.Id, id);
  assert.deepEqual(pulled.RepoTags, [`localhost/${NAME}`]);
  assert.deepEqual(pulled.RootFS.Layers, [fx.layers.base.diffId, fx.layers.arm64.diffId]);
});
