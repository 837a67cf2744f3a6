// `cudaseal verify`: an image passes when at least one signature, in its
// `.sig` manifest or among its Sigstore bundle referrers (cosign 3's format,
// verify-bundles.ts), verifies with the key over its payload and the payload
// names this image's digest (and, when asked, a repository: cosign never
// checks the claimed docker-reference, so by default neither does this, and
// a layout signed under its folder's name verifies after a push). Each layer
// is read as cosign reads it (its signature as Go base64, its annotations,
// its payload through Go's encoding/json), so that what passes here passes
// `cosign verify --key` too. When none passes, the error says why in the
// most telling way: another image's payload, another repository, a payload
// or annotation cosign would not take, a changed payload, then a wrong key.

import { CudasealError, type ErrorCode } from "../errors.ts";
import type { BundleTrust } from "./bundle-verify.ts";
import { cappedReferrers } from "./capped-referrers.ts";
import {
  CERTIFICATE_ANNOTATION,
  cosignTag,
  readCosignLayers,
  readLayerPayload,
  readSignatureReferrerLayers,
  SIGNATURE_ANNOTATION,
  SIMPLE_SIGNING_MEDIA_TYPE,
} from "./cosign-manifest.ts";
import { goStdBase64 } from "./go-base64.ts";
import type { ImageTarget } from "./image-target.ts";
import { checkLayerAnnotations } from "./layer-annotations.ts";
import { MAX_SIGNATURE_PAYLOAD } from "./sign-image.ts";
import type { Verifier } from "./signer.ts";
import { parseSimpleSigning, type SimpleSigningClaim } from "./simple-signing.ts";
import { type BundleOrigin, checkSignatureBundles } from "./verify-bundles.ts";

export interface VerifyOptions {
  /**
   * The repository the payload must name (`--reference`). Default: none, as
   * cosign's verify, which compares only the digest and annotations.
   */
  repository?: string;
  /** Annotations every accepted payload must carry in `optional` (cosign's `-a`). */
  annotations?: Readonly<Record<string, string>>;
  /** Also check the image's Sigstore bundle referrers, against this trust (a key, or a trusted root and identity). */
  bundles?: BundleTrust;
}

/** A signature that verified, as `--json` lists it. */
export interface VerifiedSignature {
  digest: string;
  dockerReference: string;
  optional: Record<string, unknown> | null;
  /** The signature layer's digest in the `.sig` manifest, or the bundle referrer's digest. */
  layer: string;
  signature: string;
  /** For a bundle signature: its referrer, signer and signing time. */
  bundle?: BundleOrigin;
}

/**
 * The signatures of `target` that verify, from its `.sig` tag (with
 * `verifier`, a key) and its bundle referrers (with `options.bundles`);
 * throws a VERIFY_* error when there are none.
 */
export async function verifyImage(
  target: ImageTarget,
  verifier: Verifier | undefined,
  options: VerifyOptions = {},
): Promise<VerifiedSignature[]> {
  const digest = target.manifest.digest;
  // Listed once for both kinds of referrer read below.
  const listed = await cappedReferrers(target.store, digest);
  // cosign 2's `.sig` tag, and its experimental OCI 1.1 signature referrers (the same layers).
  const tagged = [
    ...(await readCosignLayers(target.store, digest, "sig")),
    ...(await readSignatureReferrerLayers(target.store, digest, listed)),
  ];
  const layers = tagged.filter(
    (l) =>
      l.mediaType === SIMPLE_SIGNING_MEDIA_TYPE && typeof l.annotations?.[SIGNATURE_ANNOTATION] === "string",
  );
  const bundles =
    options.bundles === undefined
      ? { verified: [], failures: [], found: 0 }
      : await checkSignatureBundles(target, options.bundles, { ...options, listed });
  if (layers.length === 0 && bundles.found === 0) {
    throw new CudasealError("VERIFY_NO_SIGNATURE", `${target.label} (${digest}) is not signed`, {
      hint: `no signature is stored under ${cosignTag(digest, "sig")} or as a Sigstore bundle referrer; sign it with 'cudaseal sign --key cosign.key'`,
      details: { digest },
    });
  }
  const verified: VerifiedSignature[] = [...bundles.verified];
  const failures: CudasealError[] = [...bundles.failures];
  if (verifier === undefined && layers.length > 0)
    failures.push(
      new CudasealError("VERIFY_WRONG_KEY", `the signatures under ${cosignTag(digest, "sig")} need a key`, {
        hint: "verify them with --key cosign.pub",
      }),
    );
  for (const layer of verifier === undefined ? [] : layers) {
    try {
      const payload = await readLayerPayload(target.store, layer, MAX_SIGNATURE_PAYLOAD);
      const signature = layer.annotations?.[SIGNATURE_ANNOTATION] ?? "";
      const raw = goStdBase64(signature);
      if (raw === undefined) {
        throw new CudasealError(
          "VERIFY_ANNOTATION_INVALID",
          `signature layer ${layer.digest}: its signature is not standard base64, which cosign requires`,
          { details: { layer: layer.digest } },
        );
      }
      if (verifier?.verify(payload, raw) !== true) {
        const keyless = (layer.annotations?.[CERTIFICATE_ANNOTATION] ?? "") !== "";
        throw new CudasealError(
          "VERIFY_WRONG_KEY",
          `no signature of ${target.label} verifies with this key`,
          {
            hint: keyless
              ? "this is a keyless (certificate) signature; cudaseal verifies key signatures only"
              : "check that the public key is the pair of the key that signed (or the payload was changed after signing)",
            details: { layer: layer.digest },
          },
        );
      }
      checkLayerAnnotations(layer);
      const claim = parseSimpleSigning(payload);
      checkClaim(claim, digest, options.repository, options.annotations, target.label);
      verified.push({
        digest: claim.digest,
        dockerReference: claim.dockerReference,
        optional: claim.optional,
        layer: layer.digest,
        signature,
      });
    } catch (err) {
      if (!(err instanceof CudasealError) || !err.code.startsWith("VERIFY_")) throw err;
      failures.push(err);
    }
  }
  if (verified.length > 0) return verified;
  throw mostTelling(failures);
}

function checkClaim(
  claim: SimpleSigningClaim,
  digest: string,
  repository: string | undefined,
  annotations: Readonly<Record<string, string>> | undefined,
  label: string,
): void {
  if (claim.digest !== digest) {
    throw new CudasealError(
      "VERIFY_DIGEST_MISMATCH",
      `a signature of ${label} is for another image: it signs ${claim.digest}, the image is ${digest}`,
      {
        hint: "the signature was copied from another image; sign this one",
        details: { signed: claim.digest, digest },
      },
    );
  }
  if (repository !== undefined && claim.dockerReference !== repository) {
    throw new CudasealError(
      "VERIFY_REFERENCE_MISMATCH",
      `a signature of ${label} names ${claim.dockerReference}, not ${repository}`,
      {
        hint: "if the image was signed under another name, pass that name with --reference",
        details: { signed: claim.dockerReference, repository },
      },
    );
  }
  for (const [k, v] of Object.entries(annotations ?? {})) {
    if (claim.optional === null || !Object.hasOwn(claim.optional, k) || claim.optional[k] !== v) {
      throw new CudasealError(
        "VERIFY_REFERENCE_MISMATCH",
        `a signature of ${label} lacks the annotation ${k}=${v}`,
        {
          details: { annotation: k },
        },
      );
    }
  }
}

/** The failure that tells the user the most: a checked payload's claim beats a bad signature. */
export function mostTelling(failures: CudasealError[]): CudasealError {
  const order: ErrorCode[] = [
    "VERIFY_DIGEST_MISMATCH",
    "VERIFY_REFERENCE_MISMATCH",
    "VERIFY_IDENTITY_MISMATCH",
    "VERIFY_ISSUER_MISMATCH",
    "VERIFY_PAYLOAD_INVALID",
    "VERIFY_ANNOTATION_INVALID",
    "VERIFY_PAYLOAD_TAMPERED",
    "VERIFY_TLOG_MISMATCH",
    "VERIFY_TLOG_INCLUSION_INVALID",
    "VERIFY_TLOG_UNKNOWN",
    "VERIFY_CERT_EXPIRED",
    "VERIFY_CERT_CHAIN_INVALID",
    "VERIFY_SCT_INVALID",
    "VERIFY_TIMESTAMP_INVALID",
    "VERIFY_SIGNATURE_INVALID",
    "VERIFY_WRONG_KEY",
    "VERIFY_BUNDLE_INVALID",
    "TRUSTED_ROOT_INVALID",
    "USAGE",
  ];
  for (const code of order) {
    const found = failures.find((f) => f.code === code);
    if (found !== undefined) return found;
  }
  return failures[0] ?? new CudasealError("VERIFY_NO_SIGNATURE", "no signature verified");
}
