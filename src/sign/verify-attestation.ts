// `cudaseal verify-attestation`: the attestations of an image whose DSSE
// envelope verifies with the key and whose statement names the image's
// digest as a subject, optionally only those of one predicate type, from
// its `.att` tag and its Sigstore bundle referrers (verify-bundles.ts). Each
// layer is read as cosign reads it, so that what passes here passes
// `cosign verify-attestation --key` too.

import { CudasealError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import type { BundleTrust } from "./bundle-verify.ts";
import {
  cosignTag,
  DSSE_ENVELOPE_MEDIA_TYPE,
  readCosignLayers,
  readLayerPayload,
  SIGNATURE_ANNOTATION,
} from "./cosign-manifest.ts";
import { IN_TOTO_PAYLOAD_TYPE, openEnvelope, parseEnvelope } from "./dsse.ts";
import { goStdBase64 } from "./go-base64.ts";
import { goUnmarshal } from "./go-json.ts";
import type { ImageTarget } from "./image-target.ts";
import { checkLayerAnnotations } from "./layer-annotations.ts";
import type { Verifier } from "./signer.ts";
import { parseStatement, predicateTypeUri, type Statement } from "./statement.ts";
import { type BundleOrigin, checkAttestationBundles } from "./verify-bundles.ts";
import { mostTelling } from "./verify-image.ts";

/** Largest attestation read: an SBOM of a CUDA image is a few megabytes. */
export const MAX_ATTESTATION = 64 * 1024 * 1024;

export interface VerifyAttestationOptions {
  /** Only attestations of this predicate type (a cosign `--type` name or a URI). */
  type?: string;
  /** Also check the image's Sigstore bundle referrers, against this trust. */
  bundles?: BundleTrust;
}

export interface VerifiedAttestation {
  predicateType: string;
  statement: Statement;
  /** The attestation layer's digest in the `.att` manifest, or the bundle referrer's digest. */
  layer: string;
  /** For a bundle attestation: its referrer, signer and signing time. */
  bundle?: BundleOrigin;
}

/**
 * The attestations of `target` that verify, from its `.att` tag (with
 * `verifier`, a key) and its bundle referrers (with `options.bundles`);
 * throws a VERIFY_* error when there are none.
 */
export async function verifyAttestations(
  target: ImageTarget,
  verifier: Verifier | undefined,
  options: VerifyAttestationOptions = {},
): Promise<VerifiedAttestation[]> {
  const digest = target.manifest.digest;
  const wantType = options.type === undefined ? undefined : predicateTypeUri(options.type);
  const layers = (await readCosignLayers(target.store, digest, "att")).filter(
    (l) => l.mediaType === DSSE_ENVELOPE_MEDIA_TYPE,
  );
  const bundles =
    options.bundles === undefined
      ? { verified: [], failures: [], found: 0, ofOtherTypes: 0 }
      : await checkAttestationBundles(target, options.bundles, wantType);
  const verified: VerifiedAttestation[] = [...bundles.verified];
  const failures: CudasealError[] = [...bundles.failures];
  let ofOtherTypes = bundles.ofOtherTypes;
  if (verifier === undefined && layers.length > 0)
    failures.push(
      new CudasealError("VERIFY_WRONG_KEY", `the attestations under ${cosignTag(digest, "att")} need a key`, {
        hint: "verify them with --key cosign.pub",
      }),
    );
  for (const layer of verifier === undefined ? [] : layers) {
    let checked: Checked;
    try {
      checked = await checkAttestation(target, layer, verifier as Verifier);
    } catch (err) {
      if (!(err instanceof CudasealError) || !err.code.startsWith("VERIFY_")) throw err;
      failures.push(err);
      continue;
    }
    // cosign verify-attestation reads each attestation that verified once
    // more, and fails outright on one it cannot read that way.
    readAsCosignCommandDoes(checked, layer, options.type);
    const { statement } = checked;
    if (wantType !== undefined && statement.predicateType !== wantType) {
      ofOtherTypes++;
      continue;
    }
    verified.push({ predicateType: statement.predicateType, statement, layer: layer.digest });
  }
  if (verified.length > 0) return verified;
  if (failures.length > 0) throw mostTelling(failures);
  throw new CudasealError(
    "VERIFY_NO_ATTESTATION",
    ofOtherTypes > 0
      ? `${target.label} has no ${wantType} attestation (it has ${ofOtherTypes} of other types)`
      : `${target.label} (${digest}) has no attestations`,
    {
      hint: `attestations are stored as Sigstore bundle referrers or under ${cosignTag(digest, "att")}; add one with 'cudaseal attest'`,
      details: { digest },
    },
  );
}

type JsonObject = Record<string, unknown>;

/** An attestation that verified: its statement, and the envelope it came from. */
interface Checked {
  statement: Statement;
  envelope: Buffer;
  /** The envelope's payload as its Go struct reads it. */
  payload: string;
}

/** One attestation layer, checked as cosign's library checks it with a key; throws a VERIFY_* error. */
async function checkAttestation(
  target: ImageTarget,
  layer: Descriptor,
  verifier: Verifier,
): Promise<Checked> {
  if (typeof layer.annotations?.[SIGNATURE_ANNOTATION] !== "string") {
    throw new CudasealError(
      "VERIFY_ANNOTATION_INVALID",
      `attestation layer ${layer.digest} has no ${SIGNATURE_ANNOTATION} annotation, without which cosign refuses it`,
      { details: { layer: layer.digest } },
    );
  }
  const bytes = await readLayerPayload(target.store, layer, MAX_ATTESTATION);
  const envelope = parseEnvelope(bytes);
  const payload =
    envelope.payloadType === IN_TOTO_PAYLOAD_TYPE ? openEnvelope(envelope, verifier) : undefined;
  if (payload === undefined) {
    throw new CudasealError("VERIFY_WRONG_KEY", `no attestation of ${target.label} verifies with this key`, {
      hint: "check that the public key is the pair of the key that attested",
      details: { layer: layer.digest },
    });
  }
  checkLayerAnnotations(layer);
  // Cosign reads the statement for its subject from standard base64 only.
  const statementBytes = goStdBase64(envelope.payload);
  if (statementBytes === undefined) {
    throw new CudasealError(
      "VERIFY_PAYLOAD_INVALID",
      `attestation layer ${layer.digest}: its payload is not standard base64, which cosign requires`,
      { details: { layer: layer.digest } },
    );
  }
  const statement = parseStatement(statementBytes);
  if (
    !statement.subject.some(
      (s) =>
        (s.digest as Record<string, string> | null)?.sha256 ===
        target.manifest.digest.slice("sha256:".length),
    )
  ) {
    throw new CudasealError(
      "VERIFY_DIGEST_MISMATCH",
      `an attestation of ${target.label} is about another image`,
      {
        details: { subjects: statement.subject, digest: target.manifest.digest },
      },
    );
  }
  return { statement, envelope: bytes, payload: envelope.payload };
}

/**
 * What cosign's verify-attestation command does with an attestation that
 * verified: it reads the envelope as a plain JSON map, takes its exact
 * `payload` key as standard base64, and reads the statement again (for
 * the type asked for, `link`, `slsaprovenance` and `vuln` predicates into
 * Go types of their own). An
 * attestation that fails this fails the whole command, whatever else
 * verifies, so it fails verification here too (VERIFY_PAYLOAD_INVALID).
 */
function readAsCosignCommandDoes(checked: Checked, layer: Descriptor, type: string | undefined): void {
  const fatal = (why: string) =>
    new CudasealError(
      "VERIFY_PAYLOAD_INVALID",
      `attestation layer ${layer.digest} verifies, but cosign cannot read it: ${why}`,
      {
        hint: "cosign verify-attestation fails on this image whatever else is attested; remove the layer or attest again",
        details: { layer: layer.digest },
      },
    );
  const map = goUnmarshal(checked.envelope.toString("utf8"), { map: "any" }, fatal) as JsonObject | null;
  const payload = map !== null && Object.hasOwn(map, "payload") ? map.payload : undefined;
  if (typeof payload !== "string") throw fatal('its envelope has no "payload" string');
  const statement = goStdBase64(payload);
  if (statement === undefined) throw fatal("its payload is not standard base64");
  let read = checked.statement;
  if (payload !== checked.payload) {
    try {
      read = parseStatement(statement);
    } catch (err) {
      throw fatal((err as Error).message);
    }
  }
  // An attestation of the type asked for is read once more, its predicate into cosign's Go type for it.
  if (type === undefined || read.predicateType !== predicateTypeUri(type)) return;
  try {
    parseStatement(statement, type);
  } catch (err) {
    throw fatal((err as Error).message);
  }
}
