// Sigstore bundles as OCI 1.1 referrers, the way cosign 3 lays them out:
// written and found again in an OCI layout, and refused with a code when a
// referrer is not one bundle or there are too many of them.

import assert from "node:assert/strict";
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { openLayoutStore } from "../../src/oci/layout-store.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { OCI_EMPTY, OCI_INDEX, OCI_MANIFEST } from "../../src/oci/media-types.ts";
import { keyBundleSigner, publicKeyHint } from "../../src/sign/bundle-signer.ts";
import { attachBundle, BUNDLE_ARTIFACT_TYPE, findBundles, readBundle } from "../../src/sign/bundle-store.ts";
import { openImageTarget } from "../../src/sign/image-target.ts";
import { COSIGN_SIGN_PREDICATE_TYPE } from "../../src/sign/sign-statement.ts";
import { makeFixture } from "../oci/fixture-image.ts";

const root = mkdtempSync(join(tmpdir(), "cudaseal-bundle-store-"));
after(() => rmSync(root, { recursive: true, force: true }));
const fx = makeFixture(root);
const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const signer = keyBundleSigner(privateKey);

let n = 0;
async function target() {
  const dir = join(root, `img${n++}`);
  await writeOciLayout(dir, fx.single);
  const t = await openImageTarget(`oci:${dir}`);
  const subject = {
    mediaType: t.manifest.mediaType,
    digest: t.manifest.digest,
    size: t.manifest.bytes.length,
  };
  return { dir, t, subject };
}

function code(expected: string) {
  return (e: unknown) => {
    assert.ok(isCudasealError(e), String(e));
    assert.equal(e.code, expected, e.message);
    return true;
  };
}

describe("bundle referrers", () => {
  it("names the key by cosign's hint: base64 of the SHA-256 of its DER SubjectPublicKeyInfo", async () => {
    const bundle = await signer.signMessage(Buffer.from("hello"));
    const der = createPublicKey(privateKey).export({ format: "der", type: "spki" });
    const { createHash } = await import("node:crypto");
    assert.equal(publicKeyHint(publicKey), createHash("sha256").update(der).digest("base64"));
    assert.equal(bundle.mediaType, BUNDLE_ARTIFACT_TYPE);
    assert.deepEqual(bundle.verificationMaterial.publicKey, { hint: publicKeyHint(publicKey) });
    assert.equal(bundle.messageSignature?.messageDigest?.algorithm, "SHA2_256");
  });

  it("writes a bundle as cosign 3 does and finds it again in a layout", async () => {
    const { t, subject } = await target();
    const bundle = await signer.signDsse(Buffer.from("{}"), "application/vnd.in-toto+json");
    const desc = await attachBundle(t.store, subject, bundle, {
      content: "dsse-envelope",
      predicateType: COSIGN_SIGN_PREDICATE_TYPE,
      created: "2026-01-02T03:04:05Z",
    });
    const stored = await t.store.getManifest(desc.digest);
    assert.ok(stored);
    const doc = JSON.parse(stored.bytes.toString("utf8"));
    assert.deepEqual(Object.keys(doc), [
      "schemaVersion",
      "mediaType",
      "config",
      "layers",
      "annotations",
      "subject",
      "artifactType",
    ]);
    assert.equal(doc.mediaType, OCI_MANIFEST);
    assert.equal(doc.artifactType, BUNDLE_ARTIFACT_TYPE);
    assert.equal(doc.config.mediaType, OCI_EMPTY);
    assert.equal(doc.config.size, 2);
    assert.equal(doc.layers.length, 1);
    assert.equal(doc.layers[0].mediaType, BUNDLE_ARTIFACT_TYPE);
    assert.deepEqual(doc.annotations, {
      "dev.sigstore.bundle.content": "dsse-envelope",
      "dev.sigstore.bundle.predicateType": COSIGN_SIGN_PREDICATE_TYPE,
      "org.opencontainers.image.created": "2026-01-02T03:04:05Z",
    });
    assert.deepEqual(doc.subject, subject);

    const found = await findBundles(t.store, subject.digest);
    assert.deepEqual(
      found.map((d) => d.digest),
      [desc.digest],
    );
    assert.deepEqual(
      await findBundles(t.store, subject.digest, { predicateType: "https://example.com/other" }),
      [],
    );
    const read = (await readBundle(t.store, found[0]))!;
    assert.deepEqual(read.bundle, bundle);
    assert.equal(read.content, "dsse-envelope");
    assert.equal(read.predicateType, COSIGN_SIGN_PREDICATE_TYPE);
  });

  it("refuses more bundle referrers than the cap, before reading any of them", async () => {
    const { t, subject } = await target();
    const bundle = await signer.signMessage(Buffer.from("x"));
    for (let i = 0; i < 4; i++)
      await attachBundle(t.store, subject, bundle, {
        content: "message-signature",
        predicateType: COSIGN_SIGN_PREDICATE_TYPE,
        created: `2026-01-02T03:04:0${i}Z`,
      });
    assert.equal((await findBundles(t.store, subject.digest, { max: 4 })).length, 4);
    await assert.rejects(findBundles(t.store, subject.digest, { max: 3 }), code("VERIFY_TOO_MANY_REFERRERS"));
  });

  it("refuses a layout entry or fallback index that is not a JSON object with IMAGE_INVALID, not a crash", async () => {
    for (const [bytes, asFallback] of [
      ["not json", false],
      ["null", false],
      ["[1", true],
    ] as const) {
      const { dir, t, subject } = await target();
      const store = await openLayoutStore(dir);
      const blob = await store.putBlob(Buffer.from(bytes), OCI_MANIFEST);
      const indexPath = join(dir, "index.json");
      const index = JSON.parse(readFileSync(indexPath, "utf8"));
      index.manifests.push({
        mediaType: asFallback ? OCI_INDEX : OCI_MANIFEST,
        digest: blob.digest,
        size: blob.size,
        ...(asFallback
          ? { annotations: { "org.opencontainers.image.ref.name": `sha256-${subject.digest.slice(7)}` } }
          : {}),
      });
      writeFileSync(indexPath, JSON.stringify(index));
      await assert.rejects(findBundles(t.store, subject.digest), code("IMAGE_INVALID"));
    }
    // A fallback index whose manifests are not a list names no referrers.
    const { dir, t, subject } = await target();
    const store = await openLayoutStore(dir);
    const blob = await store.putBlob(Buffer.from('{"manifests":{"digest":5}}'), OCI_INDEX);
    const indexPath = join(dir, "index.json");
    const index = JSON.parse(readFileSync(indexPath, "utf8"));
    index.manifests.push({
      mediaType: OCI_INDEX,
      digest: blob.digest,
      size: blob.size,
      annotations: { "org.opencontainers.image.ref.name": `sha256-${subject.digest.slice(7)}` },
    });
    writeFileSync(indexPath, JSON.stringify(index));
    assert.deepEqual(await findBundles(t.store, subject.digest), []);
  });

  it("refuses a referrer that holds no bundle layer, or two", async () => {
    const { t, subject } = await target();
    const store = await openLayoutStore(t.store.name.slice(4));
    const blob = await store.putBlob(Buffer.from("{}"), BUNDLE_ARTIFACT_TYPE);
    const cfg = await store.putBlob(Buffer.from("{}"), OCI_EMPTY);
    for (const layers of [[], [blob, blob], [{ ...blob, mediaType: "text/plain" }]]) {
      const m = {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: BUNDLE_ARTIFACT_TYPE,
        config: cfg,
        layers,
        subject,
      };
      const desc = await store.putManifest(Buffer.from(JSON.stringify(m)), OCI_MANIFEST);
      const listed = { ...desc, artifactType: BUNDLE_ARTIFACT_TYPE };
      await assert.rejects(readBundle(store, listed), code("VERIFY_BUNDLE_INVALID"));
    }
  });

  it("passes over another artifact listed under the empty config's type, as cosign 2.x lists bundles", async () => {
    const { t, subject } = await target();
    const sbom = await t.store.putBlob(Buffer.from("{}"), "application/spdx+json");
    const cfg = await t.store.putBlob(Buffer.from("{}"), OCI_EMPTY);
    const m = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: cfg, layers: [sbom], subject };
    const desc = await t.store.putManifest(Buffer.from(JSON.stringify(m)), OCI_MANIFEST);
    assert.equal(await readBundle(t.store, { ...desc, artifactType: OCI_EMPTY }), undefined);
    // A bundle listed so is read.
    const bundle = await signer.signMessage(Buffer.from("x"));
    const b = await attachBundle(t.store, subject, bundle, {
      content: "message-signature",
      predicateType: "x:y",
    });
    assert.deepEqual((await readBundle(t.store, { ...b, artifactType: OCI_EMPTY }))?.bundle, bundle);
  });
});
