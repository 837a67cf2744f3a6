// The signing seam of Sigstore bundles (v0.3), the format cosign 3 writes:
// `sign` and `attest` hand a payload to a BundleSigner and store the bundle
// that comes back as an OCI 1.1 referrer (bundle-store.ts). A key on disk
// is one BundleSigner (here); a Fulcio certificate with a Rekor entry is
// another (keyless), so `--keyless` only swaps the signer.
//
// A key-based bundle names its key by a hint, as cosign 3 derives it:
// standard base64 of the SHA-256 of the public key's DER SubjectPublicKeyInfo.
// The hint only says which key to try; the verifier must hold the key.
// Nothing is logged to a transparency log (cosign's `--tlog-upload=false`).
// The bundle's shape is the Sigstore project's own (@sigstore/bundle).

import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import {
  bundleToJSON,
  type SerializedBundle,
  toDSSEBundle,
  toMessageSignatureBundle,
} from "@sigstore/bundle";
import { preAuthEncoding } from "./dsse.ts";
import { keySigner } from "./signer.ts";

/** Makes Sigstore bundles (v0.3) over payloads. */
export interface BundleSigner {
  /** A Sigstore bundle v0.3 over a DSSE envelope of `payload` (the image signature and attestations). */
  signDsse(payload: Buffer, payloadType: string): Promise<SerializedBundle>;
  /** A Sigstore bundle v0.3 with a message signature over `artifact` (sign-blob). */
  signMessage(artifact: Buffer): Promise<SerializedBundle>;
}

/** cosign's public key hint: base64 of the SHA-256 of the key's DER SubjectPublicKeyInfo. */
export function publicKeyHint(publicKey: KeyObject): string {
  const der = publicKey.export({ format: "der", type: "spki" });
  return createHash("sha256").update(der).digest("base64");
}

/** A BundleSigner holding a private key (ECDSA P-256, RSA or Ed25519, hashed as cosign does). */
export function keyBundleSigner(privateKey: KeyObject): BundleSigner {
  const signer = keySigner(privateKey);
  const keyHint = publicKeyHint(createPublicKey(privateKey));
  return {
    async signDsse(payload, payloadType) {
      const { signature } = await signer.sign(preAuthEncoding(payloadType, payload));
      const bundle = toDSSEBundle({ artifact: payload, artifactType: payloadType, signature, keyHint });
      // The envelope's keyid stays empty, as cosign writes it: DSSE's Go
      // verifier (cosign 2.x) skips a signature whose keyid is not its own
      // idea of the key's id, which the hint is not.
      for (const s of bundle.content.dsseEnvelope.signatures) s.keyid = "";
      return bundleToJSON(bundle);
    },
    async signMessage(artifact) {
      const { signature } = await signer.sign(artifact);
      const digest = createHash("sha256").update(artifact).digest();
      return bundleToJSON(toMessageSignatureBundle({ digest, signature, keyHint }));
    },
  };
}
