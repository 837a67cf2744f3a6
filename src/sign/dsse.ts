// DSSE, the envelope cosign stores attestations in: the payload is signed
// through the Pre-Authentication Encoding
//
//   "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
//
// (lengths in ASCII decimal bytes), so a signature over one payload type
// can never be replayed as another. Cosign leaves `keyid` empty, and with
// a key it never compares it.
//
// Envelopes are read as cosign reads them (go-securesystemslib's Envelope
// through Go's encoding/json), and their base64 as go-securesystemslib
// decodes it: standard, else URL-safe, with any undecodable signature
// failing the whole envelope.

import { CudasealError } from "../errors.ts";
import { dsseBase64 } from "./go-base64.ts";
import { type GoType, goUnmarshal, utf8Text } from "./go-json.ts";
import type { Signer, Verifier } from "./signer.ts";

/** The payload type of an in-toto statement. */
export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";

export interface DsseSignature {
  keyid: string;
  sig: string;
}

export interface DsseEnvelope {
  payloadType: string;
  /** Standard base64 of the payload bytes. */
  payload: string;
  signatures: DsseSignature[];
}

/** The bytes a DSSE signature is taken over. */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, "utf8");
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, "utf8"),
    type,
    Buffer.from(` ${payload.length} `, "utf8"),
    payload,
  ]);
}

/** Sign `payload` into a one-signature envelope. */
export async function signEnvelope(
  signer: Signer,
  payloadType: string,
  payload: Uint8Array,
): Promise<DsseEnvelope> {
  const { signature } = await signer.sign(preAuthEncoding(payloadType, payload));
  return {
    payloadType,
    payload: Buffer.from(payload).toString("base64"),
    signatures: [{ keyid: "", sig: signature.toString("base64") }],
  };
}

/** go-securesystemslib's dsse.Envelope. */
const GO_ENVELOPE: GoType = {
  struct: {
    payloadType: "string",
    payload: "string",
    signatures: { slice: { struct: { keyid: "string", sig: "string" } } },
  },
};

/**
 * Parse an envelope as cosign does: VERIFY_PAYLOAD_TAMPERED when it is not
 * JSON, VERIFY_PAYLOAD_INVALID when cosign would refuse it or could read it
 * two ways (a field named twice, in any case) or it is not UTF-8.
 */
export function parseEnvelope(bytes: Uint8Array): DsseEnvelope {
  const text = utf8Text(bytes);
  if (text === undefined) throw invalidEnvelope("it is not UTF-8");
  const doc = goUnmarshal(text, GO_ENVELOPE, (why, syntax) =>
    syntax
      ? new CudasealError("VERIFY_PAYLOAD_TAMPERED", `an attestation is not a JSON DSSE envelope: ${why}`)
      : invalidEnvelope(why),
  ) as { payloadType: string; payload: string; signatures: DsseSignature[] | null };
  return { payloadType: doc.payloadType, payload: doc.payload, signatures: doc.signatures ?? [] };
}

function invalidEnvelope(why: string): CudasealError {
  return new CudasealError(
    "VERIFY_PAYLOAD_INVALID",
    `an attestation's envelope is refused (cosign would read it differently, or not at all): ${why}`,
  );
}

/**
 * The payload bytes when some signature of `envelope` verifies, else
 * undefined; VERIFY_PAYLOAD_INVALID when the payload or any signature is
 * not base64, which fails the envelope for cosign whatever else verifies.
 */
export function openEnvelope(envelope: DsseEnvelope, verifier: Verifier): Buffer | undefined {
  const payload = dsseBase64(envelope.payload);
  if (payload === undefined) throw invalidEnvelope("its payload is not base64");
  const signatures = envelope.signatures.map((s) => dsseBase64(s.sig));
  if (signatures.some((s) => s === undefined)) throw invalidEnvelope("a signature is not base64");
  const pae = preAuthEncoding(envelope.payloadType, payload);
  for (const signature of signatures) {
    if (verifier.verify(pae, signature as Buffer)) return payload;
  }
  return undefined;
}
