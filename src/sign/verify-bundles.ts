// Checking an image's Sigstore bundle referrers (cosign 3's format), for
// `verify` and `verify-attestation`, beside the `.sig`/`.att` tags they
// also read. Each bundle is found through the referrers list (capped:
// bundle-store.ts), read (capped), verified by verifyBundle
// (bundle-verify.ts: key or keyless, tlog and timestamps), and then its
// statement is held to the image: a DSSE in-toto statement naming this
// manifest's digest as a subject, else VERIFY_DIGEST_MISMATCH (a bundle
// copied from another image). A signature is a statement of cosign's
// sign/v1 predicate type, whose subject annotations must hold the `-a`
// annotations asked for, as cosign 3's claim verifier requires; every other
// predicate type is an attestation. The referrer's predicateType
// annotation is not signed, so it only narrows what is fetched; the
// statement decides. Failures are collected per bundle, so one bad bundle
// never hides a good one.

import { CudasealError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { findBundles, readBundle } from "./bundle-store.ts";
import { type BundleTrust, type VerifiedBundle, verifyBundle } from "./bundle-verify.ts";
import { IN_TOTO_PAYLOAD_TYPE } from "./dsse.ts";
import type { ImageTarget } from "./image-target.ts";
import {
  type AnnotatedSubject,
  COSIGN_SIGN_PREDICATE_TYPE,
  parseSignedStatement,
  type SignedStatement,
  subjectFor,
} from "./sign-statement.ts";
import { parseStatement, type Statement } from "./statement.ts";

/** Who signed a bundle that verified, and where it is stored. */
export interface BundleOrigin {
  /** The referrer manifest's digest. */
  referrer: string;
  signer: VerifiedBundle["signer"];
  /** When a log or timestamp authority says it was signed (RFC 3339). */
  signedAt?: string;
}

/** What checking one kind of bundle found: those that verified, and why the others did not. */
export interface BundleCheck<T> {
  verified: T[];
  failures: CudasealError[];
  /** Bundles looked at (referrers of this kind found). */
  found: number;
}

/** One bundle that verified and names the image: its statement and origin. */
interface CheckedBundle {
  statement: SignedStatement;
  subject: AnnotatedSubject;
  payload: Buffer;
  signature: string;
  origin: BundleOrigin;
}

/** Verify each bundle referrer of `target` that `predicateType` (when given) does not rule out. */
async function checkBundles(
  target: ImageTarget,
  trust: BundleTrust,
  predicateType: string | undefined,
  listed?: readonly Descriptor[],
): Promise<BundleCheck<CheckedBundle>> {
  const digest = target.manifest.digest;
  const referrers = await findBundles(target.store, digest, { predicateType, listed });
  const result: BundleCheck<CheckedBundle> = { verified: [], failures: [], found: referrers.length };
  for (const referrer of referrers) {
    try {
      const checked = await checkBundle(target, referrer, trust);
      if (checked === undefined) result.found--;
      else result.verified.push(checked);
    } catch (err) {
      // One bundle's failure, whatever its kind, is that bundle's; the others may verify.
      if (!(err instanceof CudasealError)) throw err;
      result.failures.push(err);
    }
  }
  return result;
}

async function checkBundle(
  target: ImageTarget,
  referrer: Descriptor,
  trust: BundleTrust,
): Promise<CheckedBundle | undefined> {
  const stored = await readBundle(target.store, referrer);
  if (stored === undefined) return undefined;
  refuseKeylessForKey(stored.bundle, trust, referrer.digest);
  const verified = await verifyBundle(stored.bundle, trust);
  if (verified.dsse === undefined || verified.dsse.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new CudasealError(
      "VERIFY_BUNDLE_INVALID",
      `bundle referrer ${referrer.digest} of ${target.label} holds no in-toto statement`,
      {
        hint: "an image's bundles are DSSE envelopes of in-toto statements",
        details: { referrer: referrer.digest },
      },
    );
  }
  const payload = verified.dsse.payload;
  const statement = parseSignedStatement(payload);
  const subject = subjectFor(statement, target.manifest.digest);
  if (subject === undefined) {
    throw new CudasealError(
      "VERIFY_DIGEST_MISMATCH",
      `a bundle of ${target.label} is about another image: no subject names ${target.manifest.digest}`,
      {
        hint: "the bundle was copied from another image; sign this one",
        details: {
          referrer: referrer.digest,
          subjects: statement.subject.map((s) => s.digest),
          digest: target.manifest.digest,
        },
      },
    );
  }
  return {
    statement,
    subject,
    payload,
    signature: dsseSignature(stored.bundle),
    origin: {
      referrer: referrer.digest,
      signer: verified.signer,
      ...(verified.signedAt !== undefined ? { signedAt: verified.signedAt.toISOString() } : {}),
    },
  };
}

/**
 * A keyless bundle checked with only a key: say so (the key is not what is
 * wrong, the way of checking is), rather than that no trusted root was given.
 */
function refuseKeylessForKey(bundle: unknown, trust: BundleTrust, referrer: string): void {
  const material = (bundle as { verificationMaterial?: Record<string, unknown> } | null)
    ?.verificationMaterial;
  if (trust.publicKey === undefined || trust.identity !== undefined) return;
  if (material === null || typeof material !== "object" || material.publicKey !== undefined) return;
  throw new CudasealError(
    "VERIFY_WRONG_KEY",
    `bundle referrer ${referrer} is signed keylessly, not with a key`,
    {
      hint: "verify it as its signer: --certificate-identity (or -regexp) and --certificate-oidc-issuer (or -regexp)",
      details: { referrer },
    },
  );
}

/** The first DSSE signature of a bundle (verified already), for listings. */
function dsseSignature(bundle: unknown): string {
  const sig = (bundle as { dsseEnvelope?: { signatures?: { sig?: unknown }[] } })?.dsseEnvelope
    ?.signatures?.[0]?.sig;
  return typeof sig === "string" ? sig : "";
}

/** A bundle signature that verified, in the shape `verify` lists signatures. */
export interface BundleSignature {
  digest: string;
  dockerReference: string;
  optional: Record<string, unknown> | null;
  layer: string;
  signature: string;
  bundle: BundleOrigin;
}

/** The image signatures among `target`'s bundles (cosign sign/v1 statements) that verify and match. */
export async function checkSignatureBundles(
  target: ImageTarget,
  trust: BundleTrust,
  options: {
    repository?: string;
    annotations?: Readonly<Record<string, string>>;
    /** The image's referrers, when the caller listed them already. */
    listed?: readonly Descriptor[];
  },
): Promise<BundleCheck<BundleSignature>> {
  const checked = await checkBundles(target, trust, COSIGN_SIGN_PREDICATE_TYPE, options.listed);
  const out: BundleCheck<BundleSignature> = {
    verified: [],
    failures: checked.failures,
    found: checked.found,
  };
  for (const c of checked.verified) {
    // An attestation's bundle whose referrer did not say its type: not a signature.
    if (c.statement.predicateType !== COSIGN_SIGN_PREDICATE_TYPE) {
      out.found--;
      continue;
    }
    try {
      checkSignatureClaim(c, target.label, options);
    } catch (err) {
      out.failures.push(err as CudasealError);
      continue;
    }
    out.verified.push({
      digest: target.manifest.digest,
      dockerReference: c.subject.name,
      optional: c.subject.annotations,
      layer: c.origin.referrer,
      signature: c.signature,
      bundle: c.origin,
    });
  }
  return out;
}

function checkSignatureClaim(
  c: CheckedBundle,
  label: string,
  options: { repository?: string; annotations?: Readonly<Record<string, string>> },
): void {
  if (options.repository !== undefined && c.subject.name !== options.repository) {
    throw new CudasealError(
      "VERIFY_REFERENCE_MISMATCH",
      `a bundle signature of ${label} names ${c.subject.name === "" ? "no repository" : c.subject.name}, not ${options.repository}`,
      {
        hint: "if the image was signed under another name, pass that name with --reference",
        details: { signed: c.subject.name, repository: options.repository, referrer: c.origin.referrer },
      },
    );
  }
  const have = c.subject.annotations ?? {};
  for (const [k, v] of Object.entries(options.annotations ?? {})) {
    if (!Object.hasOwn(have, k) || have[k] !== v) {
      throw new CudasealError(
        "VERIFY_REFERENCE_MISMATCH",
        `a bundle signature of ${label} lacks the annotation ${k}=${v}`,
        {
          details: { annotation: k, referrer: c.origin.referrer },
        },
      );
    }
  }
}

/** A bundle attestation that verified, in the shape `verify-attestation` lists them. */
export interface BundleAttestation {
  predicateType: string;
  statement: Statement;
  layer: string;
  bundle: BundleOrigin;
}

/** The attestations among `target`'s bundles that verify, of `predicateType` when given. */
export async function checkAttestationBundles(
  target: ImageTarget,
  trust: BundleTrust,
  predicateType: string | undefined,
): Promise<BundleCheck<BundleAttestation> & { ofOtherTypes: number }> {
  const checked = await checkBundles(target, trust, predicateType);
  const out = {
    verified: [] as BundleAttestation[],
    failures: checked.failures,
    found: checked.found,
    ofOtherTypes: 0,
  };
  for (const c of checked.verified) {
    if (c.statement.predicateType === COSIGN_SIGN_PREDICATE_TYPE) {
      // A signature, not an attestation.
      out.found--;
      continue;
    }
    if (predicateType !== undefined && c.statement.predicateType !== predicateType) {
      out.ofOtherTypes++;
      continue;
    }
    let statement: Statement;
    try {
      // Read as cosign reads an attestation's statement, as the `.att` path does.
      statement = parseStatement(c.payload);
    } catch (err) {
      out.failures.push(err as CudasealError);
      continue;
    }
    out.verified.push({
      predicateType: statement.predicateType,
      statement,
      layer: c.origin.referrer,
      bundle: c.origin,
    });
  }
  return out;
}
