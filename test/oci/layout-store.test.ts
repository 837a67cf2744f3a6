import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { openLayoutStore } from "../../src/oci/layout-store.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { ANNOTATION_REF_NAME, OCI_INDEX, OCI_MANIFEST } from "../../src/oci/media-types.ts";
import { hasTool, makeFixture, run, sha256 } from "./fixture-image.ts";

const root = mkdtempSync(join(tmpdir(), "cudaseal-layout-store-"));
after(() => rmSync(root, { recursive: true, force: true }));
const fx = makeFixture(root);
const noSkopeo = hasTool("skopeo") ? false : "skopeo is not installed (npm run setup-test-tools)";

function index(dir: string): { manifests: { digest: string; annotations?: Record<string, string> }[] } {
  return JSON.parse(readFileSync(join(dir, "index.json"), "utf8"));
}

test("reads an image cudaseal wrote, by tag and by digest", async () => {
  const dir = join(root, "read");
  const written = await writeOciLayout(dir, fx.multi);
  const store = await openLayoutStore(dir);
  assert.equal(store.name, `oci:${dir}`);
  const byTag = await store.getManifest("v1");
  assert.equal(byTag?.digest, written.image.digest);
  assert.equal(byTag?.mediaType, OCI_INDEX);
  const byDigest = await store.getManifest(written.platforms[0].manifest.digest);
  assert.equal(byDigest?.mediaType, OCI_MANIFEST);
  assert.equal(await store.getManifest("nope"), undefined);
  assert.equal(await store.getManifest(sha256(Buffer.from("absent"))), undefined);
});

test("a tagged manifest joins index.json and keeps every entry already there", async () => {
  const dir = join(root, "put");
  await writeOciLayout(dir, fx.multi);
  const before = index(dir).manifests;
  const store = await openLayoutStore(dir);
  const blob = await store.putBlob(Buffer.from("payload"), "text/plain");
  assert.equal(blob.digest, sha256(Buffer.from("payload")));
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: blob, layers: [] }),
  );
  const first = await store.putManifest(manifest, OCI_MANIFEST, "extra");
  const after1 = index(dir).manifests;
  assert.deepEqual(after1.slice(0, before.length), before, "existing entries untouched, in order");
  assert.equal(after1.at(-1)?.annotations?.[ANNOTATION_REF_NAME], "extra");
  assert.equal(after1.at(-1)?.digest, first.digest);

  // The same tag again replaces its entry, in place.
  const other = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: blob, layers: [blob] }),
  );
  const second = await store.putManifest(other, OCI_MANIFEST, "extra");
  const after2 = index(dir).manifests;
  assert.equal(after2.length, after1.length);
  assert.equal(after2.at(-1)?.digest, second.digest);
  assert.equal((await store.getManifest("extra"))?.digest, second.digest);
  // Nothing temporary is left behind.
  assert.deepEqual(
    readdirSync(dir, { recursive: true }).filter(
      (f) => String(f).includes(".tmp") || String(f).endsWith(".lock"),
    ),
    [],
  );
});

test("skopeo still reads the image after signatures were added", { skip: noSkopeo }, async () => {
  const dir = join(root, "skopeo");
  await writeOciLayout(dir, fx.single);
  const store = await openLayoutStore(dir);
  const blob = await store.putBlob(Buffer.from("{}"), "application/vnd.oci.image.config.v1+json");
  await store.putManifest(
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: blob, layers: [] })),
    OCI_MANIFEST,
    "sha256-abc.sig",
  );
  const out = JSON.parse(run("skopeo", ["inspect", "--raw", `oci:${dir}:v1`]));
  assert.equal(out.mediaType, OCI_MANIFEST);
});

test("a blob that does not match its digest is IMAGE_INVALID", async () => {
  const dir = join(root, "tampered");
  const written = await writeOciLayout(dir, fx.single);
  const store = await openLayoutStore(dir);
  const config = written.platforms[0].config.digest;
  writeFileSync(join(dir, "blobs", "sha256", config.slice(7)), "changed");
  await assert.rejects(store.getBlob(config, 1 << 20), (e) => isCudasealError(e, "IMAGE_INVALID"));
  await assert.rejects(store.getBlob(written.platforms[0].layers[0].digest, 10), (e) =>
    isCudasealError(e, "IMAGE_INVALID"),
  );
});

test("a directory that is no layout is IMAGE_NOT_FOUND, unless asked to create one", async () => {
  const dir = join(root, "empty");
  await assert.rejects(openLayoutStore(dir), (e) => isCudasealError(e, "IMAGE_NOT_FOUND"));
  const store = await openLayoutStore(dir, { create: true });
  assert.deepEqual(await store.entries(), []);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, "oci-layout"), "utf8")), {
    imageLayoutVersion: "1.0.0",
  });
});

test("referrers finds manifests whose subject is the image", async () => {
  const dir = join(root, "referrers");
  const written = await writeOciLayout(dir, fx.single);
  const store = await openLayoutStore(dir);
  const empty = await store.putBlob(Buffer.from("{}"), "application/vnd.oci.empty.v1+json");
  const subject = written.image;
  const referrer = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: "application/spdx+json",
      config: empty,
      layers: [empty],
      subject,
    }),
  );
  const d = await store.putManifest(referrer, OCI_MANIFEST);
  const found = await store.referrers(subject.digest);
  assert.deepEqual(
    found.map((r) => [r.digest, r.artifactType]),
    [[d.digest, "application/spdx+json"]],
  );
  assert.deepEqual(await store.referrers(subject.digest, "application/other"), []);
});

test("concurrent writers each keep their tag", async () => {
  const dir = join(root, "concurrent");
  await writeOciLayout(dir, fx.single);
  const stores = await Promise.all([1, 2, 3, 4, 5, 6].map(() => openLayoutStore(dir)));
  await Promise.all(
    stores.map(async (store, i) => {
      const blob = await store.putBlob(Buffer.from(`blob ${i}`), "text/plain");
      const m = Buffer.from(
        JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: blob, layers: [] }),
      );
      await store.putManifest(m, OCI_MANIFEST, `t${i}`);
    }),
  );
  const tags = index(dir).manifests.map((m) => m.annotations?.[ANNOTATION_REF_NAME]);
  for (const i of [0, 1, 2, 3, 4, 5]) assert.ok(tags.includes(`t${i}`), `t${i} in ${tags}`);
});
