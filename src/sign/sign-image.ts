// `cudaseal sign --new-bundle-format=false`: a cosign 2 signature for an
// image, stored where cosign 2 stores it (see cosign-manifest.ts), readable
// by `cosign verify`. The default is a bundle referrer (sign-image-bundle.ts).

import type { Descriptor } from "../oci/descriptor.ts";
import {
  appendCosignLayer,
  CERTIFICATE_ANNOTATION,
  CHAIN_ANNOTATION,
  readLayerPayload,
  SIGNATURE_ANNOTATION,
  SIMPLE_SIGNING_MEDIA_TYPE,
} from "./cosign-manifest.ts";
import { childManifests, type ImageTarget } from "./image-target.ts";
import { keyVerifier, type Signer } from "./signer.ts";
import { simpleSigningPayload } from "./simple-signing.ts";

/** Largest signature payload read back (cosign's are a few hundred bytes). */
export const MAX_SIGNATURE_PAYLOAD = 1024 * 1024;

export interface SignOptions {
  /** Into the payload's `optional` (cosign's `--annotations`). */
  annotations?: Readonly<Record<string, string>>;
  /** Also sign each manifest an index names. */
  recursive?: boolean;
}

/** One signature made. */
export interface SignedDigest {
  digest: string;
  /** The `.sig` manifest written, undefined when an equal signature was already there. */
  signatureManifest?: Descriptor;
  /** The payload signed, as stored. */
  payload: string;
}

/** Sign the target's manifest (and with `recursive`, every manifest its index names). */
export async function signImage(
  target: ImageTarget,
  signer: Signer,
  options: SignOptions = {},
): Promise<SignedDigest[]> {
  const digests = [target.manifest.digest];
  if (options.recursive) digests.push(...childManifests(target.manifest));
  const results: SignedDigest[] = [];
  for (const digest of digests) results.push(await signDigest(target, digest, signer, options));
  return results;
}

async function signDigest(
  target: ImageTarget,
  digest: string,
  signer: Signer,
  options: SignOptions,
): Promise<SignedDigest> {
  const payload = simpleSigningPayload({
    dockerReference: target.repository,
    digest,
    optional: options.annotations === undefined ? null : { ...options.annotations },
  });
  const result = await signer.sign(payload);
  const annotations: Record<string, string> = { [SIGNATURE_ANNOTATION]: result.signature.toString("base64") };
  if (result.certificate !== undefined) annotations[CERTIFICATE_ANNOTATION] = result.certificate;
  if (result.chain !== undefined) annotations[CHAIN_ANNOTATION] = result.chain;
  // As cosign's duplicate detector: signing again with the same key over
  // the same payload adds nothing (ECDSA signatures differ each time).
  const verifier = signer.publicKey ? keyVerifier(signer.publicKey) : undefined;
  const isDuplicate = async (layer: Descriptor): Promise<boolean> => {
    if (verifier === undefined || layer.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE) return false;
    const sig = layer.annotations?.[SIGNATURE_ANNOTATION];
    if (sig === undefined) return false;
    const existing = await readLayerPayload(target.store, layer, MAX_SIGNATURE_PAYLOAD).catch(
      () => undefined,
    );
    return existing?.equals(payload) === true && verifier.verify(existing, Buffer.from(sig, "base64"));
  };
  const signatureManifest = await appendCosignLayer(
    target.store,
    digest,
    "sig",
    { mediaType: SIMPLE_SIGNING_MEDIA_TYPE, payload, annotations },
    isDuplicate,
  );
  return { digest, signatureManifest, payload: payload.toString("utf8") };
}
