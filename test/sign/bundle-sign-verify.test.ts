// Signing and attesting images as Sigstore bundle referrers (cosign 3's
// format), offline in OCI layouts: what is written, that verify and
// verify-attestation find it beside cosign 2's tags, and that each hostile
// bundle gets its code with capped work.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, describe, it } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { sha256Digest } from "../../src/oci/descriptor.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { OCI_EMPTY, OCI_MANIFEST } from "../../src/oci/media-types.ts";
import { attestImage, attestImageBundle } from "../../src/sign/attest-image.ts";
import { keyBundleSigner } from "../../src/sign/bundle-signer.ts";
import { attachBundle, BUNDLE_ARTIFACT_TYPE, findBundles, readBundle } from "../../src/sign/bundle-store.ts";
import type { BundleTrust } from "../../src/sign/bundle-verify.ts";
import { openImageTarget } from "../../src/sign/image-target.ts";
import { signBlob } from "../../src/sign/sign-blob.ts";
import { signImage } from "../../src/sign/sign-image.ts";
import { signImageBundle } from "../../src/sign/sign-image-bundle.ts";
import { COSIGN_SIGN_PREDICATE_TYPE } from "../../src/sign/sign-statement.ts";
import { keySigner, keyVerifier } from "../../src/sign/signer.ts";
import { verifyAttestations } from "../../src/sign/verify-attestation.ts";
import { verifyBlob } from "../../src/sign/verify-blob.ts";
import { verifyImage } from "../../src/sign/verify-image.ts";
import { openImage } from "../../src/source/image-source.ts";
import { makeFixture } from "../oci/fixture-image.ts";

const root = mkdtempSync(join(tmpdir(), "cudaseal-bundle-sign-"));
after(() => rmSync(root, { recursive: true, force: true }));
const fx = makeFixture(root);
const BIN = new URL("../../bin/cudaseal.js", import.meta.url).pathname;

function ecKey() {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return {
    privateKey,
    publicKey,
    bundleSigner: keyBundleSigner(privateKey),
    verifier: keyVerifier(publicKey),
  };
}
const keyA = ecKey();
const keyB = ecKey();
const trustOf = (publicKey: KeyObject): BundleTrust => ({
  publicKey: publicKey.export({ format: "pem", type: "spki" }).toString(),
  ignoreTlog: true,
});

let n = 0;
async function layout(image = fx.single): Promise<string> {
  const dir = join(root, `img${n++}`);
  await writeOciLayout(dir, image);
  return dir;
}

function code(expected: string) {
  return (e: unknown) => {
    assert.ok(isCudasealError(e), String(e));
    assert.equal(e.code, expected, e.message);
    return true;
  };
}

describe("image signatures as Sigstore bundles", () => {
  it("signs cosign 3's sign/v1 statement into a bundle referrer, and verify finds it", async () => {
    const dir = await layout();
    const target = await openImageTarget(`oci:${dir}:v1`);
    const [signed] = await signImageBundle(target, keyA.bundleSigner, { annotations: { team: "gpu" } });
    assert.deepEqual(JSON.parse(signed.payload), {
      _type: "https://in-toto.io/Statement/v1",
      subject: [
        {
          name: basename(dir),
          digest: { sha256: target.manifest.digest.slice(7) },
          annotations: { team: "gpu" },
        },
      ],
      predicateType: COSIGN_SIGN_PREDICATE_TYPE,
      predicate: {},
    });
    // No .sig tag: the referrer alone.
    assert.equal(await target.store.getManifest(`sha256-${target.manifest.digest.slice(7)}.sig`), undefined);
    const [referrer] = await findBundles(target.store, target.manifest.digest);
    assert.equal(referrer.digest, signed.signatureManifest?.digest);
    const stored = (await readBundle(target.store, referrer))!;
    assert.equal(stored.predicateType, COSIGN_SIGN_PREDICATE_TYPE);
    assert.equal(stored.content, "dsse-envelope");

    const verified = await verifyImage(target, keyA.verifier, { bundles: trustOf(keyA.publicKey) });
    assert.equal(verified.length, 1);
    assert.equal(verified[0].digest, target.manifest.digest);
    assert.equal(verified[0].layer, referrer.digest);
    assert.deepEqual(verified[0].optional, { team: "gpu" });
    assert.equal(verified[0].bundle?.signer.kind, "key");
    // Keyless callers give no key for the .sig tag: the bundle still verifies.
    assert.equal((await verifyImage(target, undefined, { bundles: trustOf(keyA.publicKey) })).length, 1);
    // Annotations and the claimed repository are checked as for .sig signatures.
    await assert.rejects(
      verifyImage(target, keyA.verifier, {
        bundles: trustOf(keyA.publicKey),
        annotations: { team: "other" },
      }),
      code("VERIFY_REFERENCE_MISMATCH"),
    );
    await assert.rejects(
      verifyImage(target, keyA.verifier, {
        bundles: trustOf(keyA.publicKey),
        repository: "registry.example/x",
      }),
      code("VERIFY_REFERENCE_MISMATCH"),
    );
    // Another key: the bundle's signature does not verify with it.
    await assert.rejects(
      verifyImage(target, keyB.verifier, { bundles: trustOf(keyB.publicKey) }),
      code("VERIFY_SIGNATURE_INVALID"),
    );
    // Without bundle trust, the referrer is not looked at: not signed.
    await assert.rejects(verifyImage(target, keyA.verifier), code("VERIFY_NO_SIGNATURE"));
  });

  it("signs and verifies with each key type cosign takes: ECDSA P-256, RSA and Ed25519", async () => {
    const keys = [
      generateKeyPairSync("ec", { namedCurve: "P-256" }),
      generateKeyPairSync("rsa", { modulusLength: 2048 }),
      generateKeyPairSync("ed25519"),
    ];
    for (const { privateKey, publicKey } of keys) {
      const target = await openImageTarget(`oci:${await layout()}`);
      await signImageBundle(target, keyBundleSigner(privateKey));
      const verified = await verifyImage(target, undefined, { bundles: trustOf(publicKey) });
      assert.equal(verified.length, 1, publicKey.asymmetricKeyType);
    }
  });

  it("sign-blob and verify-blob agree on each key type, Ed25519 (which signs the whole file) included", async () => {
    const file = join(root, "blob.bin");
    writeFileSync(file, "a blob to sign\n".repeat(1000));
    const other = join(root, "other.bin");
    writeFileSync(other, "another blob\n");
    for (const type of ["ec", "rsa", "ed25519"] as const) {
      const { privateKey, publicKey } =
        type === "ec"
          ? generateKeyPairSync("ec", { namedCurve: "P-256" })
          : type === "rsa"
            ? generateKeyPairSync("rsa", { modulusLength: 2048 })
            : generateKeyPairSync("ed25519");
      const bundlePath = join(root, `blob-${type}.sigstore.json`);
      writeFileSync(bundlePath, JSON.stringify((await signBlob(file, keyBundleSigner(privateKey))).bundle));
      const verified = await verifyBlob({ artifactPath: file, bundlePath, trust: trustOf(publicKey) });
      assert.equal(verified.signer.kind, "key", type);
      await assert.rejects(
        verifyBlob({ artifactPath: other, bundlePath, trust: trustOf(publicKey) }),
        code("VERIFY_DIGEST_MISMATCH"),
      );
      await assert.rejects(
        verifyBlob({ artifactPath: file, bundlePath, trust: trustOf(keyB.publicKey) }),
        code("VERIFY_SIGNATURE_INVALID"),
      );
    }
  });

  it("lists the image's referrers once for bundles and cosign 2's signature referrers together", async () => {
    const target = await openImageTarget(`oci:${await layout()}`);
    await signImageBundle(target, keyA.bundleSigner);
    let lists = 0;
    const store = {
      ...target.store,
      referrers: (...args: Parameters<typeof target.store.referrers>) => {
        lists++;
        return target.store.referrers(...args);
      },
    };
    const verified = await verifyImage({ ...target, store }, undefined, { bundles: trustOf(keyA.publicKey) });
    assert.equal(verified.length, 1);
    assert.equal(lists, 1);
  });

  it("leaves the layout readable as one image, untagged", async () => {
    const dir = await layout();
    const target = await openImageTarget(`oci:${dir}`);
    await signImageBundle(target, keyA.bundleSigner);
    await attestImageBundle(target, keyA.bundleSigner, { type: "custom", predicate: Buffer.from("hi") });
    assert.equal((await openImage(`oci:${dir}`)).manifestDigest, target.manifest.digest);
    assert.equal((await openImageTarget(`oci:${dir}`)).manifest.digest, target.manifest.digest);
    const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8"));
    const referrers = index.manifests.filter(
      (m: { artifactType?: string }) => m.artifactType === BUNDLE_ARTIFACT_TYPE,
    );
    assert.equal(referrers.length, 2, "each bundle is listed with its artifact type");
  });

  it("signs each platform manifest of an index with recursive", async () => {
    const dir = await layout(fx.multi);
    const target = await openImageTarget(`oci:${dir}`);
    const signed = await signImageBundle(target, keyA.bundleSigner, { recursive: true });
    assert.equal(signed.length, 3);
    const amd64 = await openImageTarget(`oci:${dir}:v1-amd64`);
    assert.equal((await verifyImage(amd64, keyA.verifier, { bundles: trustOf(keyA.publicKey) })).length, 1);
  });

  it("finds signatures in both places, and one bad bundle hides no good signature", async () => {
    const dir = await layout();
    const target = await openImageTarget(`oci:${dir}`);
    await signImage(target, keySigner(keyA.privateKey));
    await signImageBundle(target, keyB.bundleSigner);
    const both = { bundles: trustOf(keyA.publicKey) };
    const verified = await verifyImage(target, keyA.verifier, both);
    assert.equal(verified.length, 1, "keyA's .sig verifies; keyB's bundle does not");
    assert.equal(verified[0].bundle, undefined);
    const viaB = await verifyImage(target, keyB.verifier, { bundles: trustOf(keyB.publicKey) });
    assert.equal(viaB.length, 1);
    assert.equal(viaB[0].bundle?.signer.kind, "key");
  });

  it("refuses a bundle copied from another image: VERIFY_DIGEST_MISMATCH", async () => {
    const a = await openImageTarget(`oci:${await layout()}`);
    const other = await layout(fx.multi);
    const b = await openImageTarget(`oci:${other}:v1-amd64`);
    const [signed] = await signImageBundle(a, keyA.bundleSigner);
    const [ref] = await findBundles(a.store, a.manifest.digest);
    const { bundle } = (await readBundle(a.store, ref))!;
    assert.ok(signed);
    const subject = {
      mediaType: b.manifest.mediaType,
      digest: b.manifest.digest,
      size: b.manifest.bytes.length,
    };
    await attachBundle(b.store, subject, bundle as never, {
      content: "dsse-envelope",
      predicateType: COSIGN_SIGN_PREDICATE_TYPE,
    });
    await assert.rejects(
      verifyImage(b, keyA.verifier, { bundles: trustOf(keyA.publicKey) }),
      code("VERIFY_DIGEST_MISMATCH"),
    );
  });

  it("refuses a changed bundle, a bundle that is not JSON, and one over the size cap", async () => {
    const dir = await layout();
    const target = await openImageTarget(`oci:${dir}`);
    const subject = {
      mediaType: target.manifest.mediaType,
      digest: target.manifest.digest,
      size: target.manifest.bytes.length,
    };
    const [signed] = await signImageBundle(target, keyA.bundleSigner);
    const [ref] = await findBundles(target.store, target.manifest.digest);
    const { bundle } = (await readBundle(target.store, ref))! as {
      bundle: { dsseEnvelope: { payload: string } };
    };
    assert.ok(signed);
    // The statement changed after signing: the signature no longer holds.
    const forged = structuredClone(bundle);
    const statement = JSON.parse(Buffer.from(forged.dsseEnvelope.payload, "base64").toString());
    statement.subject[0].annotations = { approved: "yes" };
    forged.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString("base64");
    const dir2 = await layout();
    const t2 = await openImageTarget(`oci:${dir2}`);
    await attachBundle(t2.store, subject, forged as never, {
      content: "dsse-envelope",
      predicateType: COSIGN_SIGN_PREDICATE_TYPE,
    });
    await assert.rejects(verifyImage(t2, undefined, { bundles: trustOf(keyA.publicKey) }), (e: unknown) => {
      assert.ok(isCudasealError(e) && e.code.startsWith("VERIFY_"), String(e));
      assert.notEqual((e as { code: string }).code, "VERIFY_NO_SIGNATURE");
      return true;
    });
    // Not JSON, and larger than the cap (refused from its descriptor, never read).
    const dir3 = await layout();
    const t3 = await openImageTarget(`oci:${dir3}`);
    const junk = await t3.store.putBlob(Buffer.from("not json"), BUNDLE_ARTIFACT_TYPE);
    const huge = { ...junk, digest: sha256Digest(Buffer.from("huge")), size: 65 * 1024 * 1024 };
    const config = await t3.store.putBlob(Buffer.from("{}"), OCI_EMPTY);
    for (const layer of [junk, huge]) {
      const m = {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: BUNDLE_ARTIFACT_TYPE,
        config,
        layers: [layer],
        subject,
      };
      await t3.store.putManifest(Buffer.from(JSON.stringify(m)), OCI_MANIFEST);
    }
    await assert.rejects(
      verifyImage(t3, undefined, { bundles: trustOf(keyA.publicKey) }),
      code("VERIFY_BUNDLE_INVALID"),
    );
  });

  it("says a keyless bundle needs its signer's identity when only a key is given", async () => {
    const target = await openImageTarget(`oci:${await layout()}`);
    const subject = {
      mediaType: target.manifest.mediaType,
      digest: target.manifest.digest,
      size: target.manifest.bytes.length,
    };
    const keyless = JSON.parse(
      readFileSync(
        new URL(
          "../fixtures/sigstore-conformance/bundle-verify/happy-path-intoto-in-dsse-v3/bundle.sigstore.json",
          import.meta.url,
        ),
        "utf8",
      ),
    );
    await attachBundle(target.store, subject, keyless, {
      content: "dsse-envelope",
      predicateType: COSIGN_SIGN_PREDICATE_TYPE,
    });
    await assert.rejects(
      verifyImage(target, keyA.verifier, { bundles: trustOf(keyA.publicKey) }),
      (e: unknown) => {
        assert.ok(isCudasealError(e, "VERIFY_WRONG_KEY"), String(e));
        assert.match(e.hint ?? "", /--certificate-identity/);
        return true;
      },
    );
  });

  it("refuses a referrer bomb of 10,000 bundle referrers, reading no more than the cap", async () => {
    const dir = await layout();
    const target = await openImageTarget(`oci:${dir}`);
    const subject = {
      mediaType: target.manifest.mediaType,
      digest: target.manifest.digest,
      size: target.manifest.bytes.length,
    };
    // Made cheaply: 10,000 distinct referrer manifests written straight into the layout.
    const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8"));
    const blobs = join(dir, "blobs", "sha256");
    mkdirSync(blobs, { recursive: true });
    for (let i = 0; i < 10_000; i++) {
      const m = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          artifactType: BUNDLE_ARTIFACT_TYPE,
          config: { mediaType: OCI_EMPTY, size: 2, digest: sha256Digest(Buffer.from("{}")) },
          layers: [{ mediaType: BUNDLE_ARTIFACT_TYPE, size: 2, digest: sha256Digest(Buffer.from("{}")) }],
          annotations: { n: String(i) },
          subject,
        }),
      );
      const digest = sha256Digest(m);
      writeFileSync(join(blobs, digest.slice(7)), m);
      index.manifests.push({
        mediaType: OCI_MANIFEST,
        digest,
        size: m.length,
        artifactType: BUNDLE_ARTIFACT_TYPE,
      });
    }
    writeFileSync(join(dir, "index.json"), JSON.stringify(index));
    await assert.rejects(
      verifyImage(target, undefined, { bundles: trustOf(keyA.publicKey) }),
      code("VERIFY_TOO_MANY_REFERRERS"),
    );
    await assert.rejects(
      verifyAttestations(target, undefined, { bundles: trustOf(keyA.publicKey) }),
      code("VERIFY_TOO_MANY_REFERRERS"),
    );
    // A copy of the layout stops at the first referrer past the cap, and writes nothing.
    const copy = spawnSync(process.execPath, [BIN, "copy", `oci:${dir}`, `oci:${dir}-copy`, "--json"], {
      encoding: "utf8",
    });
    assert.equal(copy.status, 1, copy.stderr);
    const error = JSON.parse(copy.stdout).error;
    assert.equal(error.code, "IMAGE_INVALID");
    assert.equal(error.details.referrers, 1025);
    assert.equal(existsSync(`${dir}-copy`), false);
  });
});

describe("attestations as Sigstore bundles", () => {
  it("attests into a bundle referrer; verify-attestation finds it, and it is no signature", async () => {
    const dir = await layout();
    const target = await openImageTarget(`oci:${dir}`);
    const sbom = Buffer.from(JSON.stringify({ spdxVersion: "SPDX-2.3", name: "x" }));
    const result = await attestImageBundle(target, keyA.bundleSigner, { type: "spdxjson", predicate: sbom });
    assert.equal(result.statement.predicateType, "https://spdx.dev/Document");
    const [ref] = await findBundles(target.store, target.manifest.digest);
    assert.equal(ref.annotations?.["dev.sigstore.bundle.predicateType"], "https://spdx.dev/Document");
    const trust = { bundles: trustOf(keyA.publicKey) };
    const verified = await verifyAttestations(target, keyA.verifier, { ...trust, type: "spdxjson" });
    assert.equal(verified.length, 1);
    assert.deepEqual(verified[0].statement.predicate, { spdxVersion: "SPDX-2.3", name: "x" });
    assert.equal(verified[0].bundle?.referrer, ref.digest);
    await assert.rejects(
      verifyAttestations(target, keyA.verifier, { ...trust, type: "cyclonedx" }),
      code("VERIFY_NO_ATTESTATION"),
    );
    // An attestation is not a signature, and a signature is not an attestation.
    await assert.rejects(verifyImage(target, keyA.verifier, trust), code("VERIFY_NO_SIGNATURE"));
    await signImageBundle(target, keyA.bundleSigner);
    assert.equal((await verifyAttestations(target, keyA.verifier, trust)).length, 1);
    // Both places at once.
    await attestImage(target, keySigner(keyA.privateKey), { type: "spdxjson", predicate: sbom });
    assert.equal((await verifyAttestations(target, keyA.verifier, { ...trust, type: "spdxjson" })).length, 2);
  });
});

describe("the sign, attest and verify commands", () => {
  const cli = (args: string[], cwd: string) =>
    spawnSync(process.execPath, [BIN, ...args], {
      cwd,
      encoding: "utf8",
      env: { ...process.env, COSIGN_PASSWORD: "" },
    });

  it("sign bundles by default, --new-bundle-format=false keeps cosign 2's tag; verify reads both", async () => {
    const dir = await layout();
    const work = join(root, `cli${n++}`);
    mkdirSync(work);
    assert.equal(cli(["generate-key-pair"], work).status, 0);
    const ref = `oci:${dir}`;
    const signed = cli(["sign", "--key", "cosign.key", "--json", ref], work);
    assert.equal(signed.status, 0, signed.stderr);
    assert.equal(JSON.parse(signed.stdout).format, "bundle");
    const target = await openImageTarget(ref);
    assert.equal((await findBundles(target.store, target.manifest.digest)).length, 1);
    const v = cli(["verify", "--key", "cosign.pub", "--json", ref], work);
    assert.equal(v.status, 0, v.stderr);
    assert.equal(JSON.parse(v.stdout).verified[0].bundle.signer.kind, "key");

    const old = cli(["sign", "--key", "cosign.key", "--new-bundle-format=false", ref], work);
    assert.equal(old.status, 0, old.stderr);
    assert.ok(await target.store.getManifest(`sha256-${target.manifest.digest.slice(7)}.sig`));
    const both = cli(["verify", "--key", "cosign.pub", "--json", ref], work);
    assert.equal(JSON.parse(both.stdout).verified.length, 2);

    const bad = cli(
      ["sign", "--key", "cosign.key", "--bundle", "--new-bundle-format=false", "--json", ref],
      work,
    );
    assert.equal(bad.status, 2);
    assert.equal(JSON.parse(bad.stdout).error.code, "USAGE");

    writeFileSync(join(work, "pred.txt"), "hello");
    const att = cli(["attest", "--key", "cosign.key", "--predicate", "pred.txt", "--json", ref], work);
    assert.equal(att.status, 0, att.stderr);
    assert.equal(JSON.parse(att.stdout).format, "bundle");
    const va = cli(["verify-attestation", "--key", "cosign.pub", "--type", "custom", ref], work);
    assert.equal(va.status, 0, va.stderr);
    assert.equal(JSON.parse(va.stdout.trim()).predicate.Data, "hello");
  });

  it("sign-blob to a folder that is not there is OUTPUT_FAILED before anything is signed", () => {
    const work = join(root, `cli${n++}`);
    mkdirSync(work);
    assert.equal(cli(["generate-key-pair"], work).status, 0);
    writeFileSync(join(work, "a.txt"), "a");
    const r = cli(
      ["sign-blob", "a.txt", "--key", "cosign.key", "--bundle", join("absent", "a.sigstore.json"), "--json"],
      work,
    );
    assert.equal(JSON.parse(r.stdout).error.code, "OUTPUT_FAILED", r.stderr);
  });

  it("verify-blob with a regular expression that does not compile is USAGE before any bundle is read", () => {
    const work = join(root, `cli${n++}`);
    mkdirSync(work);
    writeFileSync(join(work, "a.txt"), "a");
    writeFileSync(join(work, "a.sigstore.json"), "{}");
    const r = cli(
      [
        "verify-blob",
        "a.txt",
        "--bundle",
        "a.sigstore.json",
        "--certificate-identity-regexp",
        "(",
        "--certificate-oidc-issuer",
        "https://issuer.example",
        "--json",
      ],
      work,
    );
    assert.equal(r.status, 2);
    assert.equal(JSON.parse(r.stdout).error.code, "USAGE", r.stderr);
  });

  it("verify-blob with a --key file that is not there is KEY_INVALID, not a crash", () => {
    const work = join(root, `cli${n++}`);
    mkdirSync(work);
    writeFileSync(join(work, "a.txt"), "a");
    writeFileSync(join(work, "a.sigstore.json"), "{}");
    const r = cli(
      ["verify-blob", "a.txt", "--bundle", "a.sigstore.json", "--key", "absent.pub", "--json"],
      work,
    );
    assert.equal(JSON.parse(r.stdout).error.code, "KEY_INVALID", r.stderr);
  });
});
