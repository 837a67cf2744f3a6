// The signing seam. `sign` and `attest` hand bytes to a Signer and store
// what comes back; they never touch a key. Today there is one Signer, a
// private key on disk. Keyless signing (a Fulcio certificate for an OIDC
// identity, the signature logged in Rekor) is another Signer that returns a
// certificate and chain beside the signature, which the signature manifest
// stores under cosign's certificate annotations.

import { createPublicKey, type KeyObject, sign, verify } from "node:crypto";

/** What a Signer returns for one message. */
export interface SignatureResult {
  /** The raw signature: ASN.1 DER for ECDSA, as cosign writes it. */
  signature: Buffer;
  /** The verifying key, PEM (for a key signer). */
  publicKey?: string;
  /** A PEM certificate for the key (keyless signers). */
  certificate?: string;
  /** The certificate's chain up to the root, PEM (keyless signers). */
  chain?: string;
}

/** Signs messages; the message is hashed by the signer as its algorithm requires. */
export interface Signer {
  sign(message: Uint8Array): Promise<SignatureResult>;
  /** The public key, when the signer has a fixed one (for duplicate detection and messages). */
  readonly publicKey?: KeyObject;
}

/** Checks a signature over a message. */
export interface Verifier {
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

/** The hash cosign uses with each key type: SHA-256, except Ed25519, which hashes itself. */
function algorithm(key: KeyObject): string | null {
  return key.asymmetricKeyType === "ed25519" ? null : "sha256";
}

/** A Signer holding a private key. */
export function keySigner(privateKey: KeyObject): Signer {
  const publicKey = createPublicKey(privateKey);
  const pem = publicKey.export({ format: "pem", type: "spki" }).toString();
  return {
    publicKey,
    async sign(message) {
      return { signature: sign(algorithm(privateKey), message, privateKey), publicKey: pem };
    },
  };
}

/** A Verifier for a public key. */
export function keyVerifier(publicKey: KeyObject): Verifier {
  return {
    verify(message, signature) {
      try {
        return verify(algorithm(publicKey), message, publicKey, signature);
      } catch {
        // A malformed DER signature is a signature that does not verify.
        return false;
      }
    },
  };
}
