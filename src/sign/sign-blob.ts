// `cudaseal sign-blob`: a Sigstore bundle (v0.3) with a message signature
// over a file, as cosign's `sign-blob --bundle` writes it: the file's
// SHA-256 and a signature over the file, with the verification material of
// the BundleSigner (a key hint, or a Fulcio certificate and a Rekor entry).
// The signature is over the file's bytes, and the Sigstore signing library
// takes them whole, so they are read whole, under a cap (cosign reads them
// whole too); a larger artifact is signed through a small file naming its
// digest instead (a SHA256SUMS list), which is how model weights are
// usually signed.

import { createHash } from "node:crypto";
import type { SerializedBundle } from "@sigstore/bundle";
import { readRegularFile } from "../util/read-regular-file.ts";
import type { BundleSigner } from "./bundle-signer.ts";

/** The largest file `sign-blob` signs: the whole of it is held to be signed. */
export const MAX_SIGN_BLOB_BYTES = 1024 * 1024 * 1024;

export interface SignedBlob {
  bundle: SerializedBundle;
  /** The file's SHA-256, hex. */
  sha256: string;
  size: number;
}

/** Sign the file at `path` into a message-signature bundle. */
export async function signBlob(path: string, signer: BundleSigner): Promise<SignedBlob> {
  const bytes = await readRegularFile(path, { what: "file to sign", max: MAX_SIGN_BLOB_BYTES });
  const bundle = await signer.signMessage(bytes);
  return { bundle, sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length };
}
