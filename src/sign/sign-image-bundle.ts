// `cudaseal sign` in cosign 3's bundle format (the default): for each
// manifest, the cosign sign/v1 statement (sign-statement.ts) signed in a
// DSSE envelope inside a Sigstore bundle, stored as an OCI 1.1 referrer of
// the manifest (bundle-store.ts). The BundleSigner decides key or keyless.

import type { Descriptor } from "../oci/descriptor.ts";
import type { BundleSigner } from "./bundle-signer.ts";
import { attachBundle } from "./bundle-store.ts";
import { IN_TOTO_PAYLOAD_TYPE } from "./dsse.ts";
import { childManifests, type ImageTarget } from "./image-target.ts";
import type { SignedDigest, SignOptions } from "./sign-image.ts";
import { COSIGN_SIGN_PREDICATE_TYPE, signStatement } from "./sign-statement.ts";

/** Sign the target's manifest (and with `recursive`, every manifest its index names) as bundle referrers. */
export async function signImageBundle(
  target: ImageTarget,
  signer: BundleSigner,
  options: SignOptions = {},
): Promise<SignedDigest[]> {
  const root: Descriptor = {
    mediaType: target.manifest.mediaType,
    digest: target.manifest.digest,
    size: target.manifest.bytes.length,
  };
  const subjects = [root];
  if (options.recursive) subjects.push(...(await childDescriptors(target)));
  const results: SignedDigest[] = [];
  for (const subject of subjects) {
    const payload = signStatement({
      repository: target.repository,
      digest: subject.digest,
      annotations: options.annotations,
    });
    const bundle = await signer.signDsse(payload, IN_TOTO_PAYLOAD_TYPE);
    const referrer = await attachBundle(target.store, subject, bundle, {
      content: "dsse-envelope",
      predicateType: COSIGN_SIGN_PREDICATE_TYPE,
    });
    results.push({ digest: subject.digest, signatureManifest: referrer, payload: payload.toString("utf8") });
  }
  return results;
}

/** The manifests an index names, as subjects (their media type and size from the store). */
async function childDescriptors(target: ImageTarget): Promise<Descriptor[]> {
  const out: Descriptor[] = [];
  for (const digest of childManifests(target.manifest)) {
    const m = await target.store.getManifest(digest);
    if (m !== undefined) out.push({ mediaType: m.mediaType, digest, size: m.bytes.length });
  }
  return out;
}
