// Cosign's signature payload, the "simple signing" JSON of
// containers/image extended by cosign:
//
//   {"critical":{"identity":{"docker-reference":"host/repo"},
//                "image":{"docker-manifest-digest":"sha256:…"},
//                "type":"cosign container image signature"},
//    "optional":{…annotations…} or null}
//
// The signature is over these exact bytes, so they are written once and
// stored as the signature layer; verification parses the stored bytes.

import { CudasealError } from "../errors.ts";
import { isSha256Digest } from "../oci/descriptor.ts";

/** The `critical.type` every cosign image signature carries. */
export const COSIGN_SIGNATURE_TYPE = "cosign container image signature";

/** What a payload says. */
export interface SimpleSigningClaim {
  /** The repository the signer meant (`host/repo`), without tag or digest. */
  dockerReference: string;
  /** The manifest digest signed. */
  digest: string;
  /** Free annotations (`--annotations k=v`), or null. */
  optional: Record<string, unknown> | null;
}

/** The payload bytes for `claim`, field order as cosign writes them. */
export function simpleSigningPayload(claim: SimpleSigningClaim): Buffer {
  const doc = {
    critical: {
      identity: { "docker-reference": claim.dockerReference },
      image: { "docker-manifest-digest": claim.digest },
      type: COSIGN_SIGNATURE_TYPE,
    },
    optional: claim.optional === null || Object.keys(claim.optional).length === 0 ? null : claim.optional,
  };
  return Buffer.from(JSON.stringify(doc), "utf8");
}

/** Parse a payload; VERIFY_PAYLOAD_TAMPERED when it is not a cosign image signature payload. */
export function parseSimpleSigning(bytes: Uint8Array): SimpleSigningClaim {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (err) {
    throw malformed("it is not JSON", err);
  }
  const critical = (doc as { critical?: Record<string, unknown> } | null)?.critical;
  const identity = critical?.identity as Record<string, unknown> | undefined;
  const image = critical?.image as Record<string, unknown> | undefined;
  const digest = image?.["docker-manifest-digest"];
  const reference = identity?.["docker-reference"];
  if (critical?.type !== COSIGN_SIGNATURE_TYPE)
    throw malformed(`its type is ${JSON.stringify(critical?.type)}`);
  if (typeof digest !== "string" || !isSha256Digest(digest))
    throw malformed("it names no sha256 manifest digest");
  if (typeof reference !== "string") throw malformed("it names no docker-reference");
  const optional = (doc as { optional?: unknown }).optional;
  return {
    dockerReference: reference,
    digest,
    optional:
      optional !== null && typeof optional === "object" ? (optional as Record<string, unknown>) : null,
  };
}

function malformed(why: string, cause?: unknown): CudasealError {
  return new CudasealError(
    "VERIFY_PAYLOAD_TAMPERED",
    `a signature payload is not a cosign signature: ${why}`,
    {
      cause,
    },
  );
}
