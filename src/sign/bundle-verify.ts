// Verifying a Sigstore bundle (v0.1-v0.3): the one place that checks a
// bundle, whether it came from an image's referrers or from `verify-blob`.
// The checks are the Sigstore project's own (@sigstore/verify: the Fulcio
// chain, SCTs, Rekor inclusion proofs and promises, RFC 3161 timestamps, the
// signature); this file chooses what to trust, checks the signer's identity
// with cosign's meaning (an exact identity, or an unanchored regular
// expression, for the subject and the OIDC issuer), and turns the library's
// few error kinds into one code per way a bundle can fail, so that callers
// and tests can tell an unknown log from a bad proof and an expired
// certificate from an untrusted one.

import { createHash, verify as cryptoVerify, type KeyObject } from "node:crypto";
import { type Bundle, bundleFromJSON } from "@sigstore/bundle";
import { type RFC3161Timestamp, X509Certificate } from "@sigstore/core";
import {
  type SignedEntity,
  type TrustMaterial,
  toSignedEntity,
  VerificationError,
  Verifier,
} from "@sigstore/verify";
import { CudasealError, type ErrorCode } from "../errors.ts";
import { parsePublicKey } from "./keys.ts";
import type { StreamedArtifact } from "./streamed-artifact.ts";
import { trustMaterialOf } from "./trusted-root.ts";

/** What a bundle is checked against. */
export interface BundleTrust {
  /** PEM or cosign public key text: key-based bundles (public key hint). */
  publicKey?: string;
  /** Parsed Sigstore trusted_root.json: keyless bundles (Fulcio chain, Rekor, TSA, CT logs). */
  trustedRoot?: unknown;
  /** cosign's --certificate-identity / -regexp and --certificate-oidc-issuer / -regexp. */
  identity?: { subject?: string; subjectRegExp?: string; issuer?: string; issuerRegExp?: string };
  /** Do without a transparency log entry (key-based bundles signed offline), as cosign's --insecure-ignore-tlog. */
  ignoreTlog?: boolean;
}

/** What a bundle that verified says. */
export interface VerifiedBundle {
  signer: { kind: "key"; hint?: string } | { kind: "certificate"; subject: string; issuer: string };
  /** The DSSE payload and its type, for dsse-envelope bundles (callers check the statement's subject). */
  dsse?: { payload: Buffer; payloadType: string };
  /** When the signature was made, from a tlog entry or timestamp, when the bundle has one. */
  signedAt?: Date;
}

const HASHES: Readonly<Record<number, string>> = { 0: "sha256", 1: "sha256", 2: "sha384", 3: "sha512" };

/**
 * Verify a bundle (JSON already parsed; capped by the caller). `artifact` is
 * required for message signatures; a DSSE bundle's statement is returned for
 * the caller to check against its subject.
 */
export async function verifyBundle(
  bundle: unknown,
  trust: BundleTrust,
  artifact?: Buffer | StreamedArtifact,
): Promise<VerifiedBundle> {
  const parsed = parseBundle(bundle);
  const keyless = parsed.verificationMaterial.content.$case !== "publicKey";
  const root = trust.trustedRoot === undefined ? undefined : trustMaterialOf(trust.trustedRoot);
  const material = keyless ? keylessMaterial(root, trust) : keyMaterial(parsed, root, trust);
  checkArtifact(parsed, artifact);
  checkNoRootInChain(parsed);
  const entity = signedEntity(parsed, artifact, trust.ignoreTlog === true);
  if (!trust.ignoreTlog) checkLogsKnown(entity, material);
  const verifier = new Verifier(material, {
    tlogThreshold: trust.ignoreTlog ? 0 : 1,
    // A certificate lives minutes: it is checked at a time some log or
    // authority vouches for. A key has no such window.
    timestampThreshold: keyless ? 1 : 0,
    // Fulcio embeds SCTs; each present is checked, and one is required, as cosign does.
    ctlogThreshold: keyless ? 1 : 0,
  });
  let signer: ReturnType<Verifier["verify"]>;
  try {
    signer = verifier.verify(entity);
  } catch (err) {
    throw mapError(err, entity, keyless);
  }
  const signedAt = earliest(entity);
  const dsse =
    parsed.content.$case === "dsseEnvelope"
      ? {
          payload: Buffer.from(parsed.content.dsseEnvelope.payload),
          payloadType: parsed.content.dsseEnvelope.payloadType,
        }
      : undefined;
  if (!keyless) {
    const hint = hintOf(parsed);
    return {
      signer: { kind: "key", ...(hint ? { hint } : {}) },
      ...(dsse ? { dsse } : {}),
      ...(signedAt ? { signedAt } : {}),
    };
  }
  const subject = signer.identity?.subjectAlternativeName ?? "";
  const issuer = signer.identity?.extensions?.issuer ?? "";
  checkIdentity(subject, issuer, trust.identity);
  return {
    signer: { kind: "certificate", subject, issuer },
    ...(dsse ? { dsse } : {}),
    ...(signedAt ? { signedAt } : {}),
  };
}

/**
 * The most log entries, timestamps and chain certificates a bundle may
 * carry. Real bundles have one or two of each; the library compares them
 * pairwise to refuse duplicates, so thousands in a large bundle would cost
 * minutes before any signature was looked at.
 */
export const MAX_BUNDLE_PARTS = 16;

function parseBundle(bundle: unknown): Bundle {
  let parsed: Bundle;
  try {
    parsed = bundleFromJSON(bundle);
  } catch (err) {
    throw new CudasealError("VERIFY_BUNDLE_INVALID", `not a valid Sigstore bundle: ${describe(err)}`, {
      cause: err,
    });
  }
  const material = parsed.verificationMaterial;
  const parts: [string, number][] = [
    ["transparency log entries", material.tlogEntries.length],
    ["RFC 3161 timestamps", material.timestampVerificationData?.rfc3161Timestamps.length ?? 0],
    [
      "chain certificates",
      material.content.$case === "x509CertificateChain"
        ? material.content.x509CertificateChain.certificates.length
        : 0,
    ],
  ];
  for (const [what, count] of parts) {
    if (count > MAX_BUNDLE_PARTS) {
      throw new CudasealError(
        "VERIFY_BUNDLE_INVALID",
        `the bundle has ${count} ${what}; at most ${MAX_BUNDLE_PARTS} are read`,
      );
    }
  }
  return parsed;
}

function describe(err: unknown): string {
  const e = err as { message?: string; fields?: string[] };
  const fields = Array.isArray(e?.fields) && e.fields.length > 0 ? ` (${e.fields.join(", ")})` : "";
  return `${e?.message ?? String(err)}${fields}`;
}

// A key bundle trusts the caller's key whatever its hint says (cosign ignores
// the hint too); logs and timestamp authorities come from the trusted root
// when one is given.
function keyMaterial(bundle: Bundle, root: TrustMaterial | undefined, trust: BundleTrust): TrustMaterial {
  if (trust.publicKey === undefined) {
    throw new CudasealError(
      "VERIFY_WRONG_KEY",
      "the bundle is signed with a key, and no public key was given",
      {
        hint: "verify it with --key cosign.pub",
        details: { hint: hintOf(bundle) },
      },
    );
  }
  const key: KeyObject = parsePublicKey(trust.publicKey, "the public key");
  return {
    certificateAuthorities: [],
    timestampAuthorities: root?.timestampAuthorities ?? [],
    tlogs: root?.tlogs ?? [],
    ctlogs: [],
    publicKey: () => ({ publicKey: key, validFor: () => true }),
  };
}

function hintOf(bundle: Bundle): string | undefined {
  const content = bundle.verificationMaterial.content;
  return content.$case === "publicKey" ? content.publicKey.hint : undefined;
}

function keylessMaterial(root: TrustMaterial | undefined, trust: BundleTrust): TrustMaterial {
  if (root === undefined) {
    throw new CudasealError(
      "TRUSTED_ROOT_INVALID",
      "the bundle is signed keylessly, and no trusted root was given",
      {
        hint: "pass --trusted-root trusted_root.json, or --key for a key-signed bundle",
      },
    );
  }
  const id = trust.identity ?? {};
  if (
    (id.subject === undefined && id.subjectRegExp === undefined) ||
    (id.issuer === undefined && id.issuerRegExp === undefined)
  ) {
    throw new CudasealError("USAGE", "a keyless bundle is verified against an identity and an OIDC issuer", {
      hint: "pass --certificate-identity (or -regexp) and --certificate-oidc-issuer (or -regexp), as cosign requires",
    });
  }
  return root;
}

// A message signature is over the artifact: its digest must be the one the
// bundle names, or the bundle is for another artifact. Checked before the
// signature, so that the error says so.
function checkArtifact(bundle: Bundle, artifact: Buffer | StreamedArtifact | undefined): void {
  if (bundle.content.$case !== "messageSignature") return;
  if (artifact === undefined) {
    throw new CudasealError(
      "USAGE",
      "a message-signature bundle is verified against its artifact, and none was given",
    );
  }
  const named = bundle.content.messageSignature.messageDigest;
  const algorithm = HASHES[named?.algorithm ?? 0];
  if (algorithm === undefined || named === undefined) {
    throw new CudasealError(
      "VERIFY_BUNDLE_INVALID",
      `the bundle's message digest algorithm ${named?.algorithm} is not supported`,
    );
  }
  if (!Buffer.isBuffer(artifact) && artifact.algorithm !== algorithm) {
    throw new CudasealError(
      "INTERNAL",
      `the artifact was hashed with ${artifact.algorithm}, the bundle names ${algorithm}`,
    );
  }
  const digest = Buffer.isBuffer(artifact)
    ? createHash(algorithm).update(artifact).digest()
    : artifact.digest;
  if (!digest.equals(Buffer.from(named.digest))) {
    throw new CudasealError(
      "VERIFY_DIGEST_MISMATCH",
      "the bundle is for another artifact: its message digest is not this artifact's",
      {
        details: {
          expected: Buffer.from(named.digest).toString("hex"),
          actual: digest.toString("hex"),
          algorithm,
        },
      },
    );
  }
}

// A bundle carries the leaf (and at most intermediates): a root in it would
// be a trust anchor the signer chose, so it is refused, as the Sigstore
// client specification requires, whatever the trusted root says.
function checkNoRootInChain(bundle: Bundle): void {
  const content = bundle.verificationMaterial.content;
  if (content.$case !== "x509CertificateChain") return;
  for (const [i, raw] of content.x509CertificateChain.certificates.entries()) {
    let cert: X509Certificate;
    try {
      cert = X509Certificate.parse(Buffer.from(raw.rawBytes));
    } catch (err) {
      throw new CudasealError(
        "VERIFY_BUNDLE_INVALID",
        `the bundle's certificate ${i} cannot be read: ${describe(err)}`,
        {
          cause: err,
        },
      );
    }
    if (cert.subject.equals(cert.issuer) && cert.isCA) {
      throw new CudasealError(
        "VERIFY_CERT_CHAIN_INVALID",
        "the bundle's certificate chain includes a root certificate",
        {
          hint: "a bundle carries the signing certificate only; the roots come from the trusted root",
        },
      );
    }
  }
}

function signedEntity(
  bundle: Bundle,
  artifact: Buffer | StreamedArtifact | undefined,
  ignoreTlog: boolean,
): SignedEntity {
  let entity: SignedEntity;
  try {
    entity = toSignedEntity(bundle, Buffer.isBuffer(artifact) ? artifact : undefined);
    if (bundle.content.$case === "messageSignature" && artifact !== undefined)
      entity = {
        ...entity,
        signature: Buffer.isBuffer(artifact)
          ? pureEd25519(entity.signature, artifact)
          : streamed(entity.signature, artifact),
      };
  } catch (err) {
    // A certificate or timestamp that does not parse.
    throw new CudasealError("VERIFY_BUNDLE_INVALID", `the bundle cannot be read: ${describe(err)}`, {
      cause: err,
    });
  }
  if (!ignoreTlog) return entity;
  return {
    ...entity,
    tlogEntries: [],
    timestamps: entity.timestamps.filter((t) => t.$case !== "transparency-log"),
  };
}

// The library's message-signature check wants the artifact's bytes; a
// streamed artifact was checked as it was read.
function streamed(content: SignedEntity["signature"], artifact: StreamedArtifact): SignedEntity["signature"] {
  return {
    signature: content.signature,
    compareSignature: (s) => content.compareSignature(s),
    compareDigest: (d) => content.compareDigest(d),
    compareSignedDigest: (d) => content.compareSignedDigest(d),
    verifySignature: (key) => artifact.verify(key, content.signature),
  };
}

// The library checks a message signature under the bundle's digest
// algorithm whatever the key, which Ed25519 refuses: it signs the message
// itself (as cosign's and cudaseal's Ed25519 keys sign a blob), so it is
// checked over the artifact's bytes with no separate hash.
function pureEd25519(content: SignedEntity["signature"], artifact: Buffer): SignedEntity["signature"] {
  return {
    signature: content.signature,
    compareSignature: (s) => content.compareSignature(s),
    compareDigest: (d) => content.compareDigest(d),
    compareSignedDigest: (d) => content.compareSignedDigest(d),
    verifySignature(key) {
      if (key.asymmetricKeyType !== "ed25519") return content.verifySignature(key);
      try {
        return cryptoVerify(null, artifact, key, content.signature);
      } catch {
        // A signature that is not one (the wrong length): it does not verify.
        return false;
      }
    },
  };
}

/** The node:crypto name of the digest a message-signature bundle names, or undefined for any other bundle. */
export function messageDigestAlgorithm(bundle: unknown): string | undefined {
  const parsed = parseBundle(bundle);
  if (parsed.content.$case !== "messageSignature") return undefined;
  return HASHES[parsed.content.messageSignature.messageDigest?.algorithm ?? 0];
}

// Each entry must come from a log the trust names; otherwise the library's
// error would be a failed proof, which hides the real reason.
function checkLogsKnown(entity: SignedEntity, material: TrustMaterial): void {
  for (const entry of entity.tlogEntries) {
    const id = Buffer.from(entry.logId.keyId);
    if (!material.tlogs.some((log) => log.logID.equals(id))) {
      throw new CudasealError(
        "VERIFY_TLOG_UNKNOWN",
        `the bundle's log entry is from a log the trusted root does not name (log ID ${id.toString("base64")})`,
        {
          hint:
            material.tlogs.length === 0
              ? "pass --trusted-root with the log's key, or for a key-signed bundle made offline, ignore the log"
              : "check that the trusted root is for the Sigstore instance that signed this (production, staging or private)",
          details: { logId: id.toString("base64") },
        },
      );
    }
  }
}

function mapError(err: unknown, entity: SignedEntity, keyless: boolean): CudasealError {
  if (err instanceof CudasealError) return err;
  if (!(err instanceof VerificationError)) {
    return new CudasealError("VERIFY_BUNDLE_INVALID", `the bundle cannot be verified: ${describe(err)}`, {
      cause: err,
    });
  }
  if (err.code === "TLOG_ERROR" && entity.tlogEntries.length === 0) {
    return new CudasealError("VERIFY_TLOG_INCLUSION_INVALID", "the bundle has no transparency log entry", {
      cause: err,
      hint: keyless
        ? "a keyless signature is trusted through its Rekor entry; this bundle has none"
        : "for a key-signed bundle made without a log, pass --insecure-ignore-tlog",
    });
  }
  const causeMessage = (err.cause as Error | undefined)?.message ?? "";
  const message = causeMessage ? `${err.message}: ${causeMessage}` : err.message;
  const code = codeOf(err, causeMessage, entity, keyless);
  return new CudasealError(code, message, { cause: err, hint: HINTS[code] });
}

function codeOf(
  err: VerificationError,
  causeMessage: string,
  entity: SignedEntity,
  keyless: boolean,
): ErrorCode {
  switch (err.code) {
    case "TLOG_INCLUSION_PROOF_ERROR":
    case "TLOG_INCLUSION_PROMISE_ERROR":
    case "TLOG_MISSING_INCLUSION_ERROR":
    case "TLOG_ERROR":
      return "VERIFY_TLOG_INCLUSION_INVALID";
    case "TLOG_BODY_ERROR":
      return "VERIFY_TLOG_MISMATCH";
    case "SIGNATURE_ERROR":
      return "VERIFY_SIGNATURE_INVALID";
    case "PUBLIC_KEY_ERROR":
      return "VERIFY_WRONG_KEY";
    case "TIMESTAMP_ERROR":
      // No timestamp at all, and a certificate past its end now: the
      // certificate is expired and nothing proves it was used in time.
      if (keyless && entity.timestamps.length === 0 && certificateExpired(entity))
        return "VERIFY_CERT_EXPIRED";
      return "VERIFY_TIMESTAMP_INVALID";
    case "CERTIFICATE_ERROR":
      if (/SCT/.test(err.message) || /SCT/.test(causeMessage)) return "VERIFY_SCT_INVALID";
      if (/not valid or expired/.test(causeMessage) || /not valid or expired/.test(err.message))
        return "VERIFY_CERT_EXPIRED";
      return "VERIFY_CERT_CHAIN_INVALID";
    default:
      return "VERIFY_BUNDLE_INVALID";
  }
}

function certificateExpired(entity: SignedEntity): boolean {
  if (entity.key.$case !== "certificate") return false;
  const cert: X509Certificate = entity.key.certificate;
  return cert.notAfter.getTime() < Date.now();
}

const HINTS: Partial<Record<ErrorCode, string>> = {
  VERIFY_CERT_EXPIRED: "the certificate was not valid when the log or timestamp authority saw the signature",
  VERIFY_CERT_CHAIN_INVALID: "the certificate does not chain to a certificate authority of the trusted root",
  VERIFY_SCT_INVALID: "the certificate's SCT is not from a CT log of the trusted root, or does not verify",
  VERIFY_TLOG_INCLUSION_INVALID: "the log entry's inclusion proof, checkpoint or promise does not verify",
  VERIFY_TLOG_MISMATCH: "the log entry records another signature, key or artifact than the bundle's",
  VERIFY_SIGNATURE_INVALID:
    "the signature does not verify: another key or certificate made it, or the content changed",
  VERIFY_TIMESTAMP_INVALID:
    "a timestamp does not verify against the trusted root's timestamp authorities, or there is none",
};

// When it was signed: the earliest time a log or timestamp authority vouches for.
function earliest(entity: SignedEntity): Date | undefined {
  let first: Date | undefined;
  for (const t of entity.timestamps) {
    const at =
      t.$case === "transparency-log"
        ? new Date(Number(t.tlogEntry.integratedTime) * 1000)
        : (t.timestamp as RFC3161Timestamp).signingTime;
    if (first === undefined || at < first) first = at;
  }
  return first;
}

// cosign's identity flags: the exact value, or a regular expression that
// matches anywhere in it (Go's regexp.MatchString, unanchored).
function checkIdentity(subject: string, issuer: string, identity: BundleTrust["identity"] = {}): void {
  if (!matches(subject, identity.subject, identity.subjectRegExp)) {
    throw new CudasealError(
      "VERIFY_IDENTITY_MISMATCH",
      `the certificate's identity is ${JSON.stringify(subject)}, not ${describeWanted(identity.subject, identity.subjectRegExp)}`,
      {
        details: { subject, wanted: identity.subject ?? identity.subjectRegExp },
      },
    );
  }
  if (!matches(issuer, identity.issuer, identity.issuerRegExp)) {
    throw new CudasealError(
      "VERIFY_ISSUER_MISMATCH",
      `the certificate's OIDC issuer is ${JSON.stringify(issuer)}, not ${describeWanted(identity.issuer, identity.issuerRegExp)}`,
      {
        details: { issuer, wanted: identity.issuer ?? identity.issuerRegExp },
      },
    );
  }
}

function matches(value: string, exact: string | undefined, pattern: string | undefined): boolean {
  if (exact !== undefined && value !== exact) return false;
  if (pattern !== undefined) {
    let re: RegExp;
    try {
      re = new RegExp(pattern, "u");
    } catch (err) {
      throw new CudasealError(
        "USAGE",
        `${JSON.stringify(pattern)} is not a regular expression: ${(err as Error).message}`,
      );
    }
    if (!re.test(value)) return false;
  }
  return true;
}

function describeWanted(exact: string | undefined, pattern: string | undefined): string {
  return exact !== undefined ? JSON.stringify(exact) : `one matching /${pattern}/`;
}
