// verifyBundle gives one code per way a Sigstore bundle fails. Keyless cases
// use the conformance suite's real bundles (signed by the public-good and
// staging instances); key cases use bundles made here and by the real cosign.

import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { bundleToJSON, toDSSEBundle, toMessageSignatureBundle } from "@sigstore/bundle";
import { isCudasealError } from "../../src/errors.ts";
import { type BundleTrust, verifyBundle } from "../../src/sign/bundle-verify.ts";
import { preAuthEncoding } from "../../src/sign/dsse.ts";
import { streamArtifact } from "../../src/sign/streamed-artifact.ts";

const CASES = join(import.meta.dirname, "..", "fixtures", "sigstore-conformance", "bundle-verify");
const PROD_ROOT = json(
  join(import.meta.dirname, "..", "..", "data", "sigstore", "public-good-trusted-root.json"),
);
const A_TXT = readFileSync(join(CASES, "a.txt"));
const IDENTITY = {
  subject:
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
  issuer: "https://token.actions.githubusercontent.com",
};

function json(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, "utf8"));
}

function bundleOf(name: string): unknown {
  return json(join(CASES, name, "bundle.sigstore.json"));
}

function keyless(overrides: Partial<BundleTrust> = {}): BundleTrust {
  return { trustedRoot: PROD_ROOT, identity: IDENTITY, ...overrides };
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isCudasealError(err), `not a CudasealError: ${err}`);
    assert.equal(err.code, code, err.message);
    return true;
  });
}

test("a keyless bundle verifies: the signer's identity, issuer and the time Rekor saw it", async () => {
  const v = await verifyBundle(bundleOf("happy-path-v0.3"), keyless(), A_TXT);
  assert.deepEqual(v.signer, { kind: "certificate", subject: IDENTITY.subject, issuer: IDENTITY.issuer });
  assert.ok(v.signedAt instanceof Date && v.signedAt.getUTCFullYear() >= 2023);
  assert.equal(v.dsse, undefined);
});

test("a DSSE bundle returns its statement for the caller to check", async () => {
  const v = await verifyBundle(bundleOf("happy-path-intoto-in-dsse-v3"), keyless());
  assert.equal(v.dsse?.payloadType, "application/vnd.in-toto+json");
  const statement = JSON.parse(v.dsse?.payload.toString("utf8") ?? "");
  const sha = createHash("sha256").update(A_TXT).digest("hex");
  assert.ok(statement.subject.some((s: { digest: { sha256: string } }) => s.digest.sha256 === sha));
});

test("the identity and issuer are exact, or an unanchored regular expression, as cosign's flags", async () => {
  await rejectsWith(
    verifyBundle(
      bundleOf("happy-path-v0.3"),
      keyless({ identity: { ...IDENTITY, subject: "someone@example.com" } }),
      A_TXT,
    ),
    "VERIFY_IDENTITY_MISMATCH",
  );
  // A prefix is not the identity.
  await rejectsWith(
    verifyBundle(
      bundleOf("happy-path-v0.3"),
      keyless({ identity: { ...IDENTITY, subject: IDENTITY.subject.slice(0, 40) } }),
      A_TXT,
    ),
    "VERIFY_IDENTITY_MISMATCH",
  );
  await rejectsWith(
    verifyBundle(
      bundleOf("happy-path-v0.3"),
      keyless({ identity: { ...IDENTITY, issuer: "https://accounts.google.com" } }),
      A_TXT,
    ),
    "VERIFY_ISSUER_MISMATCH",
  );
  await rejectsWith(
    verifyBundle(
      bundleOf("happy-path-v0.3"),
      keyless({ identity: { subjectRegExp: "^https://github\\.com/other/", issuer: IDENTITY.issuer } }),
      A_TXT,
    ),
    "VERIFY_IDENTITY_MISMATCH",
  );
  const v = await verifyBundle(
    bundleOf("happy-path-v0.3"),
    keyless({
      identity: { subjectRegExp: "sigstore-conformance/", issuerRegExp: "^https://token\\.actions\\." },
    }),
    A_TXT,
  );
  assert.equal(v.signer.kind, "certificate");
});

test("a keyless bundle without an identity and an issuer to check is a usage error", async () => {
  await rejectsWith(
    verifyBundle(
      bundleOf("happy-path-v0.3"),
      { trustedRoot: PROD_ROOT, identity: { subject: IDENTITY.subject } },
      A_TXT,
    ),
    "USAGE",
  );
});

test("a certificate from a CA the trusted root does not name: VERIFY_CERT_CHAIN_INVALID", async () => {
  // The public-good root's logs, with the staging instance's Fulcio in place of its own.
  const staging = json(join(CASES, "rekor2-happy-path", "trusted_root.json"));
  const root = { ...PROD_ROOT, certificateAuthorities: staging.certificateAuthorities };
  await rejectsWith(
    verifyBundle(bundleOf("happy-path-v0.3"), keyless({ trustedRoot: root }), A_TXT),
    "VERIFY_CERT_CHAIN_INVALID",
  );
  // A bundle that brings its own root is refused whatever the trusted root says.
  await rejectsWith(
    verifyBundle(
      bundleOf("bundle-with-root-cert_fail"),
      keyless(),
      readFileSync(join(CASES, "bundle-with-root-cert_fail", "artifact")),
    ),
    "VERIFY_CERT_CHAIN_INVALID",
  );
});

test("a certificate not valid when the signature was logged or timestamped: VERIFY_CERT_EXPIRED", async () => {
  const dir = join(CASES, "intoto-expired-certificate_fail");
  await rejectsWith(
    verifyBundle(
      bundleOf("intoto-expired-certificate_fail"),
      keyless({ trustedRoot: json(join(dir, "trusted_root.json")) }),
    ),
    "VERIFY_CERT_EXPIRED",
  );
  // No timestamp at all (a Rekor v2 entry and no TSA): the certificate has long expired.
  const noTs = join(CASES, "rekor2-no-timestamp_fail");
  await rejectsWith(
    verifyBundle(
      bundleOf("rekor2-no-timestamp_fail"),
      keyless({ trustedRoot: json(join(noTs, "trusted_root.json")) }),
      A_TXT,
    ),
    "VERIFY_CERT_EXPIRED",
  );
});

test("log entries: unknown log, bad inclusion proof, entry for another signature", async () => {
  await rejectsWith(
    verifyBundle(bundleOf("bundle-from-wrong-instance_fail"), keyless(), A_TXT),
    "VERIFY_TLOG_UNKNOWN",
  );
  await rejectsWith(
    verifyBundle(bundleOf("inclusion-proof-corrupted-hash_fail"), keyless(), A_TXT),
    "VERIFY_TLOG_INCLUSION_INVALID",
  );
  await rejectsWith(
    verifyBundle(bundleOf("set-invalid-signature_fail"), keyless(), A_TXT),
    "VERIFY_TLOG_INCLUSION_INVALID",
  );
  await rejectsWith(
    verifyBundle(bundleOf("wrong-hashedrekord-entry_fail"), keyless(), A_TXT),
    "VERIFY_TLOG_MISMATCH",
  );
});

test("SCTs and timestamps that do not verify have their own codes", async () => {
  const ct = join(CASES, "invalid-ct-key_fail");
  await rejectsWith(
    verifyBundle(
      bundleOf("invalid-ct-key_fail"),
      keyless({ trustedRoot: json(join(ct, "trusted_root.json")) }),
      A_TXT,
    ),
    "VERIFY_SCT_INVALID",
  );
  const ts = join(CASES, "rekor2-timestamp-payload-mismatch_fail");
  await rejectsWith(
    verifyBundle(
      bundleOf("rekor2-timestamp-payload-mismatch_fail"),
      keyless({ trustedRoot: json(join(ts, "trusted_root.json")) }),
      A_TXT,
    ),
    "VERIFY_TIMESTAMP_INVALID",
  );
});

test("a bundle for another artifact: VERIFY_DIGEST_MISMATCH, before any signature is checked", async () => {
  await rejectsWith(
    verifyBundle(bundleOf("happy-path-v0.3"), keyless(), Buffer.from("another file\n")),
    "VERIFY_DIGEST_MISMATCH",
  );
});

test("what is not a bundle: VERIFY_BUNDLE_INVALID", async () => {
  await rejectsWith(
    verifyBundle(bundleOf("bundle-unknown-version_fail"), keyless(), A_TXT),
    "VERIFY_BUNDLE_INVALID",
  );
  await rejectsWith(verifyBundle("a string", keyless(), A_TXT), "VERIFY_BUNDLE_INVALID");
  await rejectsWith(
    verifyBundle({ mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json" }, keyless(), A_TXT),
    "VERIFY_BUNDLE_INVALID",
  );
});

test("a trusted root with no usable keys, or a malformed one: TRUSTED_ROOT_INVALID", async () => {
  const empty = { ...PROD_ROOT, certificateAuthorities: [], tlogs: [], ctlogs: [], timestampAuthorities: [] };
  await rejectsWith(
    verifyBundle(bundleOf("happy-path-v0.3"), keyless({ trustedRoot: empty }), A_TXT),
    "TRUSTED_ROOT_INVALID",
  );
  await rejectsWith(
    verifyBundle(
      bundleOf("happy-path-v0.3"),
      keyless({ trustedRoot: { ...PROD_ROOT, mediaType: "x" } }),
      A_TXT,
    ),
    "TRUSTED_ROOT_INVALID",
  );
  const badKey = structuredClone(PROD_ROOT) as { tlogs: { publicKey: { rawBytes: string } }[] };
  badKey.tlogs[0].publicKey.rawBytes = Buffer.from("not a key").toString("base64");
  await rejectsWith(
    verifyBundle(bundleOf("happy-path-v0.3"), keyless({ trustedRoot: badKey }), A_TXT),
    "TRUSTED_ROOT_INVALID",
  );
  await rejectsWith(
    verifyBundle(bundleOf("happy-path-v0.3"), keyless({ trustedRoot: [] }), A_TXT),
    "TRUSTED_ROOT_INVALID",
  );
  await rejectsWith(
    verifyBundle(bundleOf("happy-path-v0.3"), { identity: IDENTITY }, A_TXT),
    "TRUSTED_ROOT_INVALID",
  );
});

// Key-signed bundles made here: what cosign sign-blob --key --tlog-upload=false writes.
const keys = generateKeyPairSync("ec", { namedCurve: "P-256" });
const PUB = keys.publicKey.export({ format: "pem", type: "spki" }).toString();
const other = generateKeyPairSync("ec", { namedCurve: "P-256" })
  .publicKey.export({ format: "pem", type: "spki" })
  .toString();

function keyMessageBundle(artifact: Buffer, signature = sign("sha256", artifact, keys.privateKey)): unknown {
  return bundleToJSON(
    toMessageSignatureBundle({
      digest: createHash("sha256").update(artifact).digest(),
      signature,
      keyHint: "k1",
    }),
  );
}

test("a key-signed message bundle verifies with its key when the log is ignored", async () => {
  const artifact = Buffer.from("model weights\n");
  const v = await verifyBundle(keyMessageBundle(artifact), { publicKey: PUB, ignoreTlog: true }, artifact);
  assert.deepEqual(v.signer, { kind: "key", hint: "k1" });
  assert.equal(v.signedAt, undefined);
  // The same through a streamed read.
  const streamed = await streamArtifact([artifact.subarray(0, 5), artifact.subarray(5)]);
  assert.equal(
    (await verifyBundle(keyMessageBundle(artifact), { publicKey: PUB, ignoreTlog: true }, streamed)).signer
      .kind,
    "key",
  );
});

test("a key-signed bundle: another key or a changed signature is VERIFY_SIGNATURE_INVALID; no log entry needs ignoreTlog", async () => {
  const artifact = Buffer.from("model weights\n");
  await rejectsWith(
    verifyBundle(keyMessageBundle(artifact), { publicKey: other, ignoreTlog: true }, artifact),
    "VERIFY_SIGNATURE_INVALID",
  );
  const bad = sign("sha256", Buffer.from("something else"), keys.privateKey);
  await rejectsWith(
    verifyBundle(keyMessageBundle(artifact, bad), { publicKey: PUB, ignoreTlog: true }, artifact),
    "VERIFY_SIGNATURE_INVALID",
  );
  await rejectsWith(
    verifyBundle(keyMessageBundle(artifact), { publicKey: PUB }, artifact),
    "VERIFY_TLOG_INCLUSION_INVALID",
  );
  await rejectsWith(
    verifyBundle(keyMessageBundle(artifact), { identity: IDENTITY, trustedRoot: PROD_ROOT }, artifact),
    "VERIFY_WRONG_KEY",
  );
});

test("a key-signed DSSE bundle returns its payload", async () => {
  const payload = Buffer.from(JSON.stringify({ _type: "https://in-toto.io/Statement/v1", subject: [] }));
  const type = "application/vnd.in-toto+json";
  const signature = sign("sha256", preAuthEncoding(type, payload), keys.privateKey);
  const bundle = bundleToJSON(
    toDSSEBundle({ artifact: payload, artifactType: type, signature, keyHint: "k1" }),
  );
  const v = await verifyBundle(bundle, { publicKey: PUB, ignoreTlog: true });
  assert.deepEqual(v.dsse, { payload, payloadType: type });
  const tampered = structuredClone(bundle) as { dsseEnvelope: { payload: string } };
  tampered.dsseEnvelope.payload = Buffer.from('{"subject":[1]}').toString("base64");
  await rejectsWith(verifyBundle(tampered, { publicKey: PUB, ignoreTlog: true }), "VERIFY_SIGNATURE_INVALID");
});

test("a bundle padded with thousands of log entries is refused before any of them is compared", async () => {
  const b = structuredClone(bundleOf("happy-path-v0.3")) as {
    verificationMaterial: { tlogEntries: unknown[] };
  };
  const entry = b.verificationMaterial.tlogEntries[0];
  b.verificationMaterial.tlogEntries = Array.from({ length: 5000 }, () => entry);
  await rejectsWith(verifyBundle(b, keyless(), A_TXT), "VERIFY_BUNDLE_INVALID");
});
