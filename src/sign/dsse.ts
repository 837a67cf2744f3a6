// DSSE, the envelope cosign stores attestations in: the payload is signed
// through the Pre-Authentication Encoding
//
//   "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
//
// (lengths in ASCII decimal bytes), so a signature over one payload type
// can never be replayed as another. Cosign leaves `keyid` empty.

import { CudasealError } from "../errors.ts";
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

/** Parse an envelope; VERIFY_PAYLOAD_TAMPERED when it is not one. */
export function parseEnvelope(bytes: Uint8Array): DsseEnvelope {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (err) {
    throw new CudasealError("VERIFY_PAYLOAD_TAMPERED", "an attestation is not a JSON DSSE envelope", {
      cause: err,
    });
  }
  const d = doc as Partial<DsseEnvelope> | null;
  if (
    typeof d?.payloadType !== "string" ||
    typeof d.payload !== "string" ||
    !Array.isArray(d.signatures) ||
    !d.signatures.every((s) => typeof s?.sig === "string")
  ) {
    throw new CudasealError("VERIFY_PAYLOAD_TAMPERED", "an attestation is not a DSSE envelope");
  }
  return d as DsseEnvelope;
}

/** The payload bytes when some signature of `envelope` verifies, else undefined. */
export function openEnvelope(envelope: DsseEnvelope, verifier: Verifier): Buffer | undefined {
  const payload = Buffer.from(envelope.payload, "base64");
  const pae = preAuthEncoding(envelope.payloadType, payload);
  for (const s of envelope.signatures) {
    if (verifier.verify(pae, Buffer.from(s.sig, "base64"))) return payload;
  }
  return undefined;
}
