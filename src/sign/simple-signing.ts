// Cosign's signature payload, the "simple signing" JSON of
// containers/image extended by cosign:
//
//   {"critical":{"identity":{"docker-reference":"host/repo"},
//                "image":{"docker-manifest-digest":"sha256:…"},
//                "type":"cosign container image signature"},
//    "optional":{…annotations…} or null}
//
// The signature is over these exact bytes, so they are written once and
// stored as the signature layer; verification parses the stored bytes the
// way cosign does (sigstore's payload.SimpleContainerImage through Go's
// encoding/json), so a payload means to cudaseal what it means to cosign:
// `Critical` is `critical`, and a payload naming a field twice (`image`
// and `Image`, one digest each) is refused rather than read one way here
// and the other way there.

import { CudasealError } from "../errors.ts";
import { isSha256Digest } from "../oci/descriptor.ts";
import { type GoType, goUnmarshal, utf8Text } from "./go-json.ts";

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

/** sigstore's payload.SimpleContainerImage. */
const SIMPLE_CONTAINER_IMAGE: GoType = {
  struct: {
    critical: {
      struct: {
        identity: { struct: { "docker-reference": "string" } },
        image: { struct: { "docker-manifest-digest": "string" } },
        type: "string",
      },
    },
    optional: { map: "any" },
  },
};

interface GoSimpleContainerImage {
  critical: {
    identity: { "docker-reference": string };
    image: { "docker-manifest-digest": string };
    type: string;
  };
  optional: Record<string, unknown> | null;
}

/**
 * Parse a payload as cosign does. VERIFY_PAYLOAD_INVALID when cosign would
 * refuse it or could read it two ways (a field named twice, in any case),
 * or it is not UTF-8; VERIFY_PAYLOAD_TAMPERED when it is not a cosign image
 * signature payload.
 */
export function parseSimpleSigning(bytes: Uint8Array): SimpleSigningClaim {
  const text = utf8Text(bytes);
  if (text === undefined) throw invalid("it is not UTF-8");
  const doc = goUnmarshal(text, SIMPLE_CONTAINER_IMAGE, (why, syntax) =>
    syntax ? malformed(why) : invalid(why),
  ) as GoSimpleContainerImage;
  const { critical } = doc;
  const digest = critical.image["docker-manifest-digest"];
  const reference = critical.identity["docker-reference"];
  if (critical.type !== COSIGN_SIGNATURE_TYPE)
    throw malformed(`its type is ${JSON.stringify(critical.type)}`);
  if (!isSha256Digest(digest)) throw malformed("it names no sha256 manifest digest");
  if (reference === "") throw malformed("it names no docker-reference");
  return { dockerReference: reference, digest, optional: doc.optional };
}

function invalid(why: string): CudasealError {
  return new CudasealError(
    "VERIFY_PAYLOAD_INVALID",
    `a signature payload is refused (cosign would read it differently, or not at all): ${why}`,
    {
      hint: "the signer wrote a payload no cosign-compatible tool writes; sign the image again",
    },
  );
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
