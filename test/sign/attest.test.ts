// Attestations in OCI layouts: an in-toto statement in a DSSE envelope,
// stored under sha256-<hex>.att as cosign stores it.

import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { attestImage } from "../../src/sign/attest-image.ts";
import {
  DSSE_ENVELOPE_MEDIA_TYPE,
  PREDICATE_TYPE_ANNOTATION,
  readCosignLayers,
} from "../../src/sign/cosign-manifest.ts";
import { preAuthEncoding } from "../../src/sign/dsse.ts";
import { openImageTarget } from "../../src/sign/image-target.ts";
import { keySigner, keyVerifier } from "../../src/sign/signer.ts";
import { predicateTypeUri } from "../../src/sign/statement.ts";
import { verifyAttestations } from "../../src/sign/verify-attestation.ts";
import { makeFixture } from "../oci/fixture-image.ts";

const root = mkdtempSync(join(tmpdir(), "cudaseal-attest-"));
after(() => rmSync(root, { recursive: true, force: true }));
const fx = makeFixture(root);

function ecKey() {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { signer: keySigner(privateKey), verifier: keyVerifier(publicKey) };
}
const keyA = ecKey();
const keyB = ecKey();
const spdx = Buffer.from(
  JSON.stringify({ spdxVersion: "SPDX-2.3", SPDXID: "SPDXRef-DOCUMENT", name: "fixture" }),
);

function code(expected: string) {
  return (e: unknown) => {
    assert.ok(isCudasealError(e), String(e));
    assert.equal(e.code, expected, e.message);
    return true;
  };
}

describe("attest and verify-attestation", () => {
  it("the DSSE pre-authentication encoding is the spec's", () => {
    assert.equal(
      preAuthEncoding("http://example.com/HelloWorld", Buffer.from("hello world")).toString(),
      "DSSEv1 29 http://example.com/HelloWorld 11 hello world",
    );
  });

  it("maps cosign's type names to predicate type URIs", () => {
    assert.equal(predicateTypeUri("spdxjson"), "https://spdx.dev/Document");
    assert.equal(predicateTypeUri("cyclonedx"), "https://cyclonedx.org/bom");
    assert.equal(predicateTypeUri("slsaprovenance"), "https://slsa.dev/provenance/v0.2");
    assert.equal(predicateTypeUri("slsaprovenance1"), "https://slsa.dev/provenance/v1");
    assert.equal(predicateTypeUri("custom"), "https://cosign.sigstore.dev/attestation/v1");
    assert.equal(predicateTypeUri("https://example.com/p/v1"), "https://example.com/p/v1");
    assert.throws(() => predicateTypeUri("nonsense"), code("USAGE"));
  });

  it("stores an in-toto statement about the image digest and verifies it by type", async () => {
    const dir = join(root, "a");
    await writeOciLayout(dir, fx.single);
    const target = await openImageTarget(`oci:${dir}:v1`, { repository: "registry.example/team/cuda" });
    const result = await attestImage(target, keyA.signer, { type: "spdxjson", predicate: spdx });
    assert.deepEqual(result.statement, {
      _type: "https://in-toto.io/Statement/v0.1",
      predicateType: "https://spdx.dev/Document",
      subject: [{ name: "registry.example/team/cuda", digest: { sha256: target.manifest.digest.slice(7) } }],
      predicate: JSON.parse(spdx.toString()),
    });
    await attestImage(target, keyA.signer, {
      type: "custom",
      predicate: Buffer.from("free text"),
      timestamp: "2025-01-02T03:04:05Z",
    });
    const layers = await readCosignLayers(target.store, target.manifest.digest, "att");
    assert.deepEqual(
      layers.map((l) => [l.mediaType, l.annotations?.[PREDICATE_TYPE_ANNOTATION]]),
      [
        [DSSE_ENVELOPE_MEDIA_TYPE, "https://spdx.dev/Document"],
        [DSSE_ENVELOPE_MEDIA_TYPE, "https://cosign.sigstore.dev/attestation/v1"],
      ],
    );
    const all = await verifyAttestations(target, keyA.verifier);
    assert.equal(all.length, 2);
    const sboms = await verifyAttestations(target, keyA.verifier, { type: "spdxjson" });
    assert.equal(sboms.length, 1);
    assert.equal((sboms[0].statement.predicate as { name: string }).name, "fixture");
    const custom = await verifyAttestations(target, keyA.verifier, { type: "custom" });
    assert.deepEqual(custom[0].statement.predicate, { Data: "free text", Timestamp: "2025-01-02T03:04:05Z" });
    await assert.rejects(
      verifyAttestations(target, keyA.verifier, { type: "cyclonedx" }),
      code("VERIFY_NO_ATTESTATION"),
    );
    await assert.rejects(verifyAttestations(target, keyB.verifier), code("VERIFY_WRONG_KEY"));
  });

  it("VERIFY_NO_ATTESTATION without any; SIGN_PREDICATE_INVALID for a predicate that is not what its type says", async () => {
    const dir = join(root, "b");
    await writeOciLayout(dir, fx.single);
    const target = await openImageTarget(`oci:${dir}:v1`);
    await assert.rejects(verifyAttestations(target, keyA.verifier), code("VERIFY_NO_ATTESTATION"));
    await assert.rejects(
      attestImage(target, keyA.signer, { type: "spdxjson", predicate: Buffer.from("SPDXVersion: SPDX-2.3") }),
      code("SIGN_PREDICATE_INVALID"),
    );
    await assert.rejects(
      attestImage(target, keyA.signer, { type: "slsaprovenance1", predicate: Buffer.from("{}") }),
      code("SIGN_PREDICATE_INVALID"),
    );
    // SPDX tag-value text is a string predicate, as cosign makes it.
    const tv = await attestImage(target, keyA.signer, {
      type: "spdx",
      predicate: Buffer.from("SPDXVersion: SPDX-2.3\n"),
    });
    assert.equal(tv.statement.predicate, "SPDXVersion: SPDX-2.3\n");
  });
});
