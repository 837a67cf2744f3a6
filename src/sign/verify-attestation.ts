// `cudaseal verify-attestation`: the attestations of an image whose DSSE
// envelope verifies with the key and whose statement names the image's
// digest as a subject, optionally only those of one predicate type.

import { CudasealError } from "../errors.ts";
import {
  cosignTag,
  DSSE_ENVELOPE_MEDIA_TYPE,
  readCosignLayers,
  readLayerPayload,
} from "./cosign-manifest.ts";
import { IN_TOTO_PAYLOAD_TYPE, openEnvelope, parseEnvelope } from "./dsse.ts";
import type { ImageTarget } from "./image-target.ts";
import type { Verifier } from "./signer.ts";
import { predicateTypeUri, type Statement } from "./statement.ts";
import { mostTelling } from "./verify-image.ts";

/** Largest attestation read: an SBOM of a CUDA image is a few megabytes. */
export const MAX_ATTESTATION = 64 * 1024 * 1024;

export interface VerifyAttestationOptions {
  /** Only attestations of this predicate type (a cosign `--type` name or a URI). */
  type?: string;
}

export interface VerifiedAttestation {
  predicateType: string;
  statement: Statement;
  /** The attestation layer's digest in the `.att` manifest. */
  layer: string;
}

/** The attestations of `target` that verify; throws a VERIFY_* error when there are none. */
export async function verifyAttestations(
  target: ImageTarget,
  verifier: Verifier,
  options: VerifyAttestationOptions = {},
): Promise<VerifiedAttestation[]> {
  const digest = target.manifest.digest;
  const wantType = options.type === undefined ? undefined : predicateTypeUri(options.type);
  const layers = (await readCosignLayers(target.store, digest, "att")).filter(
    (l) => l.mediaType === DSSE_ENVELOPE_MEDIA_TYPE,
  );
  const verified: VerifiedAttestation[] = [];
  const failures: CudasealError[] = [];
  let ofOtherTypes = 0;
  for (const layer of layers) {
    try {
      const envelope = parseEnvelope(await readLayerPayload(target.store, layer, MAX_ATTESTATION));
      const payload =
        envelope.payloadType === IN_TOTO_PAYLOAD_TYPE ? openEnvelope(envelope, verifier) : undefined;
      if (payload === undefined) {
        throw new CudasealError(
          "VERIFY_WRONG_KEY",
          `no attestation of ${target.label} verifies with this key`,
          {
            hint: "check that the public key is the pair of the key that attested",
            details: { layer: layer.digest },
          },
        );
      }
      const statement = parseStatement(payload);
      if (!statement.subject.some((s) => s?.digest?.sha256 === digest.slice("sha256:".length))) {
        throw new CudasealError(
          "VERIFY_DIGEST_MISMATCH",
          `an attestation of ${target.label} is about another image`,
          {
            details: { subjects: statement.subject, digest },
          },
        );
      }
      if (wantType !== undefined && statement.predicateType !== wantType) {
        ofOtherTypes++;
        continue;
      }
      verified.push({ predicateType: statement.predicateType, statement, layer: layer.digest });
    } catch (err) {
      if (!(err instanceof CudasealError) || !err.code.startsWith("VERIFY_")) throw err;
      failures.push(err);
    }
  }
  if (verified.length > 0) return verified;
  if (failures.length > 0) throw mostTelling(failures);
  throw new CudasealError(
    "VERIFY_NO_ATTESTATION",
    ofOtherTypes > 0
      ? `${target.label} has no ${wantType} attestation (it has ${ofOtherTypes} of other types)`
      : `${target.label} (${digest}) has no attestations`,
    {
      hint: `attestations are stored under ${cosignTag(digest, "att")}; add one with 'cudaseal attest'`,
      details: { digest },
    },
  );
}

function parseStatement(payload: Buffer): Statement {
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString("utf8"));
  } catch (err) {
    throw new CudasealError("VERIFY_PAYLOAD_TAMPERED", "an attestation's statement is not JSON", {
      cause: err,
    });
  }
  const s = doc as Partial<Statement> | null;
  if (typeof s?.predicateType !== "string" || !Array.isArray(s.subject)) {
    throw new CudasealError(
      "VERIFY_PAYLOAD_TAMPERED",
      "an attestation's payload is not an in-toto statement",
    );
  }
  return s as Statement;
}
