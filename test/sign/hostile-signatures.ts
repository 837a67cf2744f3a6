// Hostile signature and attestation layers, signed with a real key, and
// what cosign does with each: the cases on which cudaseal must read a
// signature as cosign reads it. Each case writes its `.sig` or `.att`
// manifest into a store (an OCI layout, or a registry repository), so the
// same table runs offline for cudaseal's error codes and at a registry
// against the real cosign.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type ErrorCode, isCudasealError } from "../../src/errors.ts";
import type { ArtifactStore } from "../../src/oci/artifact-store.ts";
import { OCI_CONFIG, OCI_MANIFEST } from "../../src/oci/media-types.ts";
import {
  appendCosignLayer,
  BUNDLE_ANNOTATION,
  CERTIFICATE_ANNOTATION,
  CHAIN_ANNOTATION,
  cosignTag,
  DSSE_ENVELOPE_MEDIA_TYPE,
  SIGNATURE_ANNOTATION,
  SIMPLE_SIGNING_MEDIA_TYPE,
  signatureConfigBytes,
  TIMESTAMP_ANNOTATION,
} from "../../src/sign/cosign-manifest.ts";
import { IN_TOTO_PAYLOAD_TYPE, preAuthEncoding } from "../../src/sign/dsse.ts";
import { openImageTarget } from "../../src/sign/image-target.ts";
import { keyVerifier } from "../../src/sign/signer.ts";
import { verifyAttestations } from "../../src/sign/verify-attestation.ts";
import { verifyImage } from "../../src/sign/verify-image.ts";

/** A P-256 key pair, its public key also as a PEM file for cosign. */
export interface TestKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  pubPath: string;
}

export function testKey(dir: string): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const pubPath = join(dir, "hostile.pub");
  writeFileSync(pubPath, publicKey.export({ format: "pem", type: "spki" }));
  return { privateKey, publicKey, pubPath };
}

/** Certificates made by openssl: one valid now, one that expired in 2020, one with a negative serial number. */
export interface TestCertificates {
  current: string;
  expired: string;
  negativeSerial: string;
}

export function testCertificates(dir: string): TestCertificates {
  const ca = join(dir, "ca");
  mkdirSync(ca, { recursive: true });
  writeFileSync(join(ca, "index.txt"), "");
  writeFileSync(join(ca, "serial"), "01\n");
  writeFileSync(
    join(ca, "ca.cnf"),
    "[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nserial=serial\nnew_certs_dir=.\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n",
  );
  const openssl = (args: string[]) => execFileSync("openssl", args, { cwd: ca, stdio: "pipe" });
  openssl(
    [
      "req",
      "-new",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      "k.pem",
    ].concat(["-out", "r.csr", "-subj", "/CN=signer"]),
  );
  const make = (out: string, start: string, end: string) => {
    openssl(
      [
        "ca",
        "-batch",
        "-config",
        "ca.cnf",
        "-selfsign",
        "-keyfile",
        "k.pem",
        "-in",
        "r.csr",
        "-notext",
      ].concat(["-out", out, "-startdate", start, "-enddate", end]),
    );
    return execFileSync("openssl", ["x509", "-in", join(ca, out)], { encoding: "utf8" });
  };
  const year = new Date().getUTCFullYear();
  openssl(
    ["req", "-x509", "-key", "k.pem", "-out", "negative.pem", "-days", "30", "-subj", "/CN=signer"].concat([
      "-set_serial",
      "-2",
    ]),
  );
  return {
    current: make("current.pem", `${year - 1}0101000000Z`, `${year + 2}0101000000Z`),
    expired: make("expired.pem", "20200101000000Z", "20200102000000Z"),
    negativeSerial: execFileSync("openssl", ["x509", "-in", join(ca, "negative.pem")], { encoding: "utf8" }),
  };
}

/** `pem` (one certificate) with its DER changed by `edit`. */
export function editCertificate(pem: string, edit: (der: Buffer) => Buffer): string {
  const der = Buffer.from(pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64");
  const body = edit(der)
    .toString("base64")
    .match(/.{1,64}/g)
    ?.join("\n");
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}

/** The certificate's outer signature algorithm changed (its OID's last byte), the inner one left as it was. */
function outerAlgorithmChanged(der: Buffer): Buffer {
  const out = Buffer.from(der);
  // certificate SEQUENCE > tbsCertificate SEQUENCE, then the outer AlgorithmIdentifier SEQUENCE { OID … }.
  const header = (at: number) => (out[at + 1] & 0x80 ? 2 + (out[at + 1] & 0x7f) : 2);
  const length = (at: number) =>
    out[at + 1] & 0x80 ? out.subarray(at + 2, at + header(at)).reduce((n, b) => n * 256 + b, 0) : out[at + 1];
  const tbs = header(0);
  const algorithm = tbs + header(tbs) + length(tbs);
  const oid = algorithm + header(algorithm);
  out[oid + header(oid) + length(oid) - 1] ^= 0x01;
  return out;
}

/** Where a case writes: the store, the two platform manifests of one image, and the repository payloads name. */
export interface CaseContext {
  store: ArtifactStore;
  /** The image verified. */
  d1: string;
  /** Another image of the same repository. */
  d2: string;
  reference: string;
  key: TestKey;
  certs: TestCertificates;
}

/** A cosign simple-signing payload, as text to be edited. */
export function payloadText(digest: string, reference: string): string {
  return JSON.stringify({
    critical: {
      identity: { "docker-reference": reference },
      image: { "docker-manifest-digest": digest },
      type: "cosign container image signature",
    },
    optional: null,
  });
}

function signatureOf(key: TestKey, bytes: Uint8Array): string {
  return sign("sha256", bytes, key.privateKey).toString("base64");
}

/** Append a signature layer over `payload`, signed by `key` unless `signature` is given. */
export async function addSignature(
  cx: CaseContext,
  payload: string | Buffer,
  options: {
    annotations?: Record<string, string>;
    signature?: (good: string) => string;
    digest?: string;
  } = {},
): Promise<void> {
  const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const good = signatureOf(cx.key, bytes);
  await appendCosignLayer(cx.store, options.digest ?? cx.d1, "sig", {
    mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
    payload: bytes,
    annotations: { [SIGNATURE_ANNOTATION]: options.signature?.(good) ?? good, ...options.annotations },
  });
}

/** An in-toto statement about `digest`, as text to be edited: an SPDX document unless told. */
export function statementText(
  digest: string,
  predicateType = "https://spdx.dev/Document",
  predicate: unknown = { spdxVersion: "SPDX-2.3", name: "fixture" },
): string {
  return JSON.stringify({
    _type: "https://in-toto.io/Statement/v0.1",
    predicateType,
    subject: [{ name: "fixture", digest: { sha256: digest.slice("sha256:".length) } }],
    predicate,
  });
}

/** A DSSE envelope over `statement` signed by `key`, as an object to be edited. */
export function envelopeOf(key: TestKey, statement: string): Record<string, unknown> {
  const payload = Buffer.from(statement);
  return {
    payloadType: IN_TOTO_PAYLOAD_TYPE,
    payload: payload.toString("base64"),
    signatures: [{ keyid: "", sig: signatureOf(key, preAuthEncoding(IN_TOTO_PAYLOAD_TYPE, payload)) }],
  };
}

/** Append an attestation layer holding `envelope`, annotated as cosign annotates them unless told. */
export async function addAttestation(
  cx: CaseContext,
  envelope: Record<string, unknown> | string,
  annotations: Record<string, string> = { [SIGNATURE_ANNOTATION]: "" },
): Promise<void> {
  await appendCosignLayer(cx.store, cx.d1, "att", {
    mediaType: DSSE_ENVELOPE_MEDIA_TYPE,
    payload: Buffer.from(typeof envelope === "string" ? envelope : JSON.stringify(envelope)),
    annotations,
  });
}

/** Write the `.sig` manifest of d1 by hand, from one good signature layer: `fields(layer)` are its fields after schemaVersion. */
export async function writeSignatureManifest(
  cx: CaseContext,
  fields: (layer: Record<string, unknown>) => Record<string, unknown>,
): Promise<void> {
  const payload = Buffer.from(payloadText(cx.d1, cx.reference));
  const blob = await cx.store.putBlob(payload, SIMPLE_SIGNING_MEDIA_TYPE);
  const layer = { ...blob, annotations: { [SIGNATURE_ANNOTATION]: signatureOf(cx.key, payload) } };
  const config = await cx.store.putBlob(signatureConfigBytes([blob]), OCI_CONFIG);
  const manifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, config, ...fields(layer) };
  await cx.store.putManifest(Buffer.from(JSON.stringify(manifest)), OCI_MANIFEST, cosignTag(cx.d1, "sig"));
}

/** One hostile case. */
export interface HostileCase {
  /** The test's name: what is written, and what both tools do with it. */
  name: string;
  /** `cudaseal verify` / `cosign verify`, or the attestation commands. */
  kind: "sig" | "att";
  /** The attestation commands' `--type` (spdxjson unless told). */
  type?: string;
  write(cx: CaseContext): Promise<void>;
  /** What cudaseal does with d1: accept, or refuse with this code. */
  cudaseal: "accept" | ErrorCode;
  /**
   * Where cosign accepts what cudaseal refuses: cudaseal refuses a payload
   * it could read two ways, which cosign reads one way.
   */
  cosignAccepts?: true;
  /**
   * Where cosign's answer depends on how it was built, why: cudaseal then
   * refuses, which keeps "what cudaseal accepts, cosign accepts" with
   * every build.
   */
  cosignVaries?: string;
}

/** What cudaseal does with the image `reference` names: "accept", or the code it refuses with. */
export async function cudasealVerdict(
  reference: string,
  key: TestKey,
  kind: HostileCase["kind"],
  type = "spdxjson",
): Promise<string> {
  const target = await openImageTarget(reference);
  const verifier = keyVerifier(key.publicKey);
  try {
    if (kind === "sig") await verifyImage(target, verifier);
    else await verifyAttestations(target, verifier, { type });
    return "accept";
  } catch (err) {
    assert.ok(isCudasealError(err), String(err));
    return err.code;
  }
}

const replaceKey = (text: string, from: string, to: string) => text.replace(`"${from}"`, `"${to}"`);
const withOptional = (cx: CaseContext, json: string) =>
  payloadText(cx.d1, cx.reference).replace('"optional":null', `"optional":${json}`);
/** A good signature of d1, its layer annotated with `annotations` as well. */
const annotated = (cx: CaseContext, annotations: Record<string, string>) =>
  addSignature(cx, payloadText(cx.d1, cx.reference), { annotations });
const sig = (
  name: string,
  cudaseal: HostileCase["cudaseal"],
  write: HostileCase["write"],
  more: Partial<HostileCase> = {},
): HostileCase => ({
  name,
  kind: "sig",
  write,
  cudaseal,
  ...more,
});
const att = (
  name: string,
  cudaseal: HostileCase["cudaseal"],
  write: HostileCase["write"],
  more: Partial<HostileCase> = {},
): HostileCase => ({
  name,
  kind: "att",
  write,
  cudaseal,
  ...more,
});
const withPayloadKey = (key: string) => (e: Record<string, unknown>) => ({
  payloadType: e.payloadType,
  [key]: e.payload,
  signatures: e.signatures,
});

export const HOSTILE_CASES: readonly HostileCase[] = [
  sig(
    "a payload spelling Critical for critical is accepted, as Go matches keys case-insensitively",
    "accept",
    (cx) => addSignature(cx, replaceKey(payloadText(cx.d1, cx.reference), "critical", "Critical")),
  ),
  sig(
    "a payload key spelt with ſ or the Kelvin sign is accepted, as Go folds them to s and k",
    "accept",
    (cx) =>
      addSignature(
        cx,
        replaceKey(
          payloadText(cx.d1, cx.reference),
          "docker-manifest-digest",
          "doc\u212aer-manife\u017ft-digest",
        ),
      ),
  ),
  sig("a payload key spelt with a dotless ı names nothing, for Go as here", "VERIFY_PAYLOAD_TAMPERED", (cx) =>
    addSignature(cx, replaceKey(payloadText(cx.d1, cx.reference), "critical", "cr\u0131t\u0131cal")),
  ),
  sig(
    "a payload naming critical twice is refused, where cosign merges the two",
    "VERIFY_PAYLOAD_INVALID",
    (cx) =>
      addSignature(
        cx,
        payloadText(cx.d1, cx.reference).replace(
          ',"optional"',
          ',"critical":{"type":"cosign container image signature"},"optional"',
        ),
      ),
    { cosignAccepts: true },
  ),
  sig("a payload whose optional is a string is refused", "VERIFY_PAYLOAD_INVALID", (cx) =>
    addSignature(cx, withOptional(cx, '"x"')),
  ),
  sig("a payload holding a number beyond float64 is refused", "VERIFY_PAYLOAD_INVALID", (cx) =>
    addSignature(cx, withOptional(cx, '{"n":1e400}')),
  ),
  sig("a payload whose type is a number is refused", "VERIFY_PAYLOAD_INVALID", (cx) =>
    addSignature(cx, payloadText(cx.d1, cx.reference).replace('"cosign container image signature"', "5")),
  ),
  sig("a bundle annotation that is not JSON is refused", "VERIFY_ANNOTATION_INVALID", (cx) =>
    annotated(cx, { [BUNDLE_ANNOTATION]: "garbage" }),
  ),
  sig("a bundle annotation that is a JSON string is refused", "VERIFY_ANNOTATION_INVALID", (cx) =>
    annotated(cx, { [BUNDLE_ANNOTATION]: '"x"' }),
  ),
  sig("a bundle whose integratedTime is not an integer is refused", "VERIFY_ANNOTATION_INVALID", (cx) =>
    annotated(cx, { [BUNDLE_ANNOTATION]: '{"Payload":{"integratedTime":1.5}}' }),
  ),
  sig("a bundle whose SignedEntryTimestamp is not base64 is refused", "VERIFY_ANNOTATION_INVALID", (cx) =>
    annotated(cx, { [BUNDLE_ANNOTATION]: '{"SignedEntryTimestamp":"!!"}' }),
  ),
  sig("an empty bundle object, unused without the transparency log, is accepted", "accept", (cx) =>
    annotated(cx, { [BUNDLE_ANNOTATION]: "{}" }),
  ),
  sig("an RFC 3161 timestamp annotation that is not JSON is refused", "VERIFY_ANNOTATION_INVALID", (cx) =>
    annotated(cx, { [TIMESTAMP_ANNOTATION]: "garbage" }),
  ),
  sig("a certificate annotation that is not PEM is refused", "VERIFY_ANNOTATION_INVALID", (cx) =>
    annotated(cx, { [CERTIFICATE_ANNOTATION]: "garbage" }),
  ),
  sig("a blank certificate annotation is refused (cosign crashes on it)", "VERIFY_ANNOTATION_INVALID", (cx) =>
    annotated(cx, { [CERTIFICATE_ANNOTATION]: " \n" }),
  ),
  sig("a certificate annotation with text after its block is refused", "VERIFY_ANNOTATION_INVALID", (cx) =>
    annotated(cx, { [CERTIFICATE_ANNOTATION]: `${cx.certs.current}garbage` }),
  ),
  sig("a certificate annotation holding a public key is refused", "VERIFY_ANNOTATION_INVALID", (cx) =>
    annotated(cx, {
      [CERTIFICATE_ANNOTATION]: cx.key.publicKey.export({ format: "pem", type: "spki" }).toString(),
    }),
  ),
  sig(
    "a certificate with data after its DER is refused, as Go's x509 refuses it",
    "VERIFY_ANNOTATION_INVALID",
    (cx) =>
      annotated(cx, {
        [CERTIFICATE_ANNOTATION]: editCertificate(cx.certs.current, (der) =>
          Buffer.concat([der, Buffer.from([0])]),
        ),
      }),
  ),
  sig(
    "a certificate with a negative serial number is refused, as Go's x509 refuses it since Go 1.23",
    "VERIFY_ANNOTATION_INVALID",
    (cx) => annotated(cx, { [CERTIFICATE_ANNOTATION]: cx.certs.negativeSerial }),
    { cosignVaries: "a cosign built with GODEBUG x509negativeserial=1, as older Go had it, accepts it" },
  ),
  sig(
    "a certificate whose inner and outer signature algorithms differ is refused",
    "VERIFY_ANNOTATION_INVALID",
    (cx) =>
      annotated(cx, { [CERTIFICATE_ANNOTATION]: editCertificate(cx.certs.current, outerAlgorithmChanged) }),
  ),
  sig("an expired certificate is refused", "VERIFY_ANNOTATION_INVALID", (cx) =>
    annotated(cx, { [CERTIFICATE_ANNOTATION]: cx.certs.expired }),
  ),
  sig("a current certificate with text before its block is accepted", "accept", (cx) =>
    annotated(cx, { [CERTIFICATE_ANNOTATION]: `preamble\n${cx.certs.current}\n\n` }),
  ),
  sig("a garbage chain without a certificate is ignored", "accept", (cx) =>
    annotated(cx, { [CHAIN_ANNOTATION]: "garbage" }),
  ),
  sig("a garbage chain beside a certificate is refused", "VERIFY_ANNOTATION_INVALID", (cx) =>
    annotated(cx, { [CERTIFICATE_ANNOTATION]: cx.certs.current, [CHAIN_ANNOTATION]: "garbage" }),
  ),
  sig("a signature in URL-safe base64 is refused", "VERIFY_ANNOTATION_INVALID", (cx) =>
    addSignature(cx, payloadText(cx.d1, cx.reference), {
      signature: (s) => `${s.replace(/\+/g, "-").replace(/\//g, "_")}${/[+/]/.test(s) ? "" : "-"}`,
    }),
  ),
  sig("a signature without its base64 padding is refused", "VERIFY_ANNOTATION_INVALID", (cx) =>
    addSignature(cx, payloadText(cx.d1, cx.reference), {
      signature: (s) => `${s.replace(/=+$/, "")}${s.endsWith("=") ? "" : "A"}`,
    }),
  ),
  sig("a signature split by a newline is accepted, as Go's base64 skips newlines", "accept", (cx) =>
    addSignature(cx, payloadText(cx.d1, cx.reference), {
      signature: (s) => `${s.slice(0, 20)}\n${s.slice(20)}`,
    }),
  ),
  sig("a signature manifest naming its layers twice is refused", "IMAGE_INVALID", (cx) =>
    writeSignatureManifest(cx, (layer) => ({
      layers: [layer],
      Layers: [{ ...layer, annotations: { [SIGNATURE_ANNOTATION]: "AAAA" } }],
    })),
  ),
  sig(
    "a signature manifest spelling Layers and Annotations is accepted, as cosign reads it",
    "accept",
    (cx) =>
      writeSignatureManifest(cx, ({ annotations, ...layer }) => ({
        Layers: [{ ...layer, Annotations: annotations }],
      })),
  ),
  sig("a signature layer whose size is not its payload's is refused", "VERIFY_PAYLOAD_TAMPERED", (cx) =>
    writeSignatureManifest(cx, (layer) => ({ layers: [{ ...layer, size: (layer.size as number) + 1 }] })),
  ),
  sig(
    "a signature manifest of more than 1000 layers is refused, as cosign reads no more",
    "IMAGE_INVALID",
    (cx) => writeSignatureManifest(cx, (layer) => ({ layers: Array.from({ length: 1001 }, () => layer) })),
  ),
  att("an envelope signature's keyid is not compared, as cosign does not with a key", "accept", (cx) => {
    const e = envelopeOf(cx.key, statementText(cx.d1));
    return addAttestation(cx, { ...e, signatures: [{ ...(e.signatures as object[])[0], keyid: "another" }] });
  }),
  att(
    "an envelope spelling Payload is refused, even beside a good attestation",
    "VERIFY_PAYLOAD_INVALID",
    async (cx) => {
      await addAttestation(cx, envelopeOf(cx.key, statementText(cx.d1)));
      await addAttestation(cx, withPayloadKey("Payload")(envelopeOf(cx.key, statementText(cx.d1))));
    },
  ),
  att("an envelope whose payload is URL-safe base64 is refused", "VERIFY_PAYLOAD_INVALID", async (cx) => {
    // A statement whose base64 holds `+` or `/`, so that the URL-safe form differs.
    let text = statementText(cx.d1);
    for (let pad = "?"; !/[+/]/.test(Buffer.from(text).toString("base64")); pad += "?") {
      text = statementText(cx.d1).replace('"name":"fixture"}', `"name":"fixture","x":"${pad}>"}`);
    }
    const e = envelopeOf(cx.key, text);
    await addAttestation(cx, {
      ...e,
      payload: Buffer.from(text)
        .toString("base64url")
        .padEnd(Math.ceil(text.length / 3) * 4, "="),
    });
  }),
  att(
    "an envelope with a signature that is not base64 is refused, whatever else verifies",
    "VERIFY_PAYLOAD_INVALID",
    (cx) => {
      const e = envelopeOf(cx.key, statementText(cx.d1));
      return addAttestation(cx, {
        ...e,
        signatures: [...(e.signatures as object[]), { keyid: "", sig: "!!" }],
      });
    },
  ),
  att("a statement spelling Subject and PredicateType is accepted, as cosign reads it", "accept", (cx) =>
    addAttestation(
      cx,
      envelopeOf(
        cx.key,
        replaceKey(replaceKey(statementText(cx.d1), "subject", "Subject"), "predicateType", "PredicateType"),
      ),
    ),
  ),
  att("a statement whose subject name is a number is refused", "VERIFY_PAYLOAD_INVALID", (cx) =>
    addAttestation(cx, envelopeOf(cx.key, statementText(cx.d1).replace('"name":"fixture"', '"name":5'))),
  ),
  att("an attestation layer without the signature annotation is refused", "VERIFY_ANNOTATION_INVALID", (cx) =>
    addAttestation(cx, envelopeOf(cx.key, statementText(cx.d1)), {}),
  ),
  att("a garbage bundle on an attestation layer is refused", "VERIFY_ANNOTATION_INVALID", (cx) =>
    addAttestation(cx, envelopeOf(cx.key, statementText(cx.d1)), {
      [SIGNATURE_ANNOTATION]: "",
      [BUNDLE_ANNOTATION]: "x",
    }),
  ),
  att(
    "a statement naming predicateType twice is refused, where cosign takes the last",
    "VERIFY_PAYLOAD_INVALID",
    (cx) =>
      addAttestation(
        cx,
        envelopeOf(
          cx.key,
          statementText(cx.d1).replace(
            '"predicate":',
            '"predicateType":"https://spdx.dev/Document","predicate":',
          ),
        ),
      ),
    { cosignAccepts: true },
  ),
  ...typedPredicateCases(),
];

/** `--type slsaprovenance`, `link` and `vuln`: cosign reads those predicates into Go types of its own. */
function typedPredicateCases(): HostileCase[] {
  const SLSA02 = "https://slsa.dev/provenance/v0.2";
  const slsa = (predicate: unknown) => (cx: CaseContext) =>
    addAttestation(cx, envelopeOf(cx.key, statementText(cx.d1, SLSA02, predicate)));
  const more = (type: string) => ({ type });
  return [
    att(
      "a SLSA 0.2 provenance read as cosign's type is accepted",
      "accept",
      slsa({
        builder: { id: "b" },
        buildType: "t",
        metadata: { buildStartedOn: "2024-02-29T10:00:00.5+01:00" },
      }),
      more("slsaprovenance"),
    ),
    att(
      "a SLSA 0.2 provenance whose builder id is a number is refused, even beside a good one",
      "VERIFY_PAYLOAD_INVALID",
      async (cx) => {
        await slsa({ builder: { id: "b" }, buildType: "t" })(cx);
        await slsa({ builder: { id: 5 }, buildType: "t" })(cx);
      },
      more("slsaprovenance"),
    ),
    att(
      "a SLSA 0.2 provenance started on a day that does not exist is refused",
      "VERIFY_PAYLOAD_INVALID",
      slsa({ builder: { id: "b" }, buildType: "t", metadata: { buildStartedOn: "2023-02-29T10:00:00Z" } }),
      more("slsaprovenance"),
    ),
    att(
      "a link whose command is a string is refused",
      "VERIFY_PAYLOAD_INVALID",
      (cx) =>
        addAttestation(
          cx,
          envelopeOf(cx.key, statementText(cx.d1, "https://in-toto.io/Link/v1", { command: "ls" })),
        ),
      more("link"),
    ),
    att(
      "a vulnerability scan whose start is not a time is refused",
      "VERIFY_PAYLOAD_INVALID",
      (cx) =>
        addAttestation(
          cx,
          envelopeOf(
            cx.key,
            statementText(cx.d1, "https://cosign.sigstore.dev/attestation/vuln/v1", {
              metadata: { scanStartedOn: "yesterday" },
            }),
          ),
        ),
      more("vuln"),
    ),
  ];
}

/** The payload at the heart of the report: `image` and `Image` name two digests. */
export function twoDigestPayload(cx: CaseContext): string {
  return payloadText(cx.d1, cx.reference).replace(
    '"type"',
    `"Image":{"docker-manifest-digest":"${cx.d2}"},"type"`,
  );
}
