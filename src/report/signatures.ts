// Which signatures and attestations sit beside an image: cosign's `.sig`
// and `.att` tags, its Sigstore bundle referrers (cosign 3's format, told
// apart by their predicate type annotation) and OCI 1.1 referrers, in an
// OCI layout or a registry.
// They are counted, not verified: verifying needs the signer's key
// (`cudaseal verify --key`). Archives cannot hold them.

import { isCudasealError } from "../errors.ts";
import { COSIGN_SIGN_PREDICATE_TYPE, cosignTag, findBundles, openImageTarget } from "../sign/index.ts";
import { parseImageRef } from "../source/image-ref.ts";
import type { SignatureStatus } from "./model.ts";

/** Cosign manifests are small JSON; a bigger one is not cosign's. */
const MAX_MANIFEST_LAYERS = 1000;

/** The signatures, attestations and referrers found for `ref`; never throws for a lookup that fails. */
export async function signatureStatus(ref: string): Promise<SignatureStatus> {
  const none = { signatures: 0, attestations: 0, referrers: 0 };
  const transport = parseImageRef(ref).transport;
  if (transport !== "oci" && transport !== "docker") {
    return {
      checked: false,
      reason: "an archive cannot hold signatures; a layout or a registry can",
      ...none,
    };
  }
  try {
    const target = await openImageTarget(ref);
    const count = async (kind: "sig" | "att") => {
      const stored = await target.store.getManifest(cosignTag(target.manifest.digest, kind));
      if (stored === undefined) return 0;
      const layers = (JSON.parse(stored.bytes.toString("utf8")) as { layers?: unknown }).layers;
      return Array.isArray(layers) ? Math.min(layers.length, MAX_MANIFEST_LAYERS) : 0;
    };
    const bundles = await findBundles(target.store, target.manifest.digest);
    const signed = bundles.filter(
      (b) => b.annotations?.["dev.sigstore.bundle.predicateType"] === COSIGN_SIGN_PREDICATE_TYPE,
    ).length;
    return {
      checked: true,
      signatures: (await count("sig")) + signed,
      attestations: (await count("att")) + bundles.length - signed,
      referrers: (await target.store.referrers(target.manifest.digest)).length,
    };
  } catch (err) {
    const reason = isCudasealError(err) ? err.message : String(err);
    return { checked: false, reason: `could not look them up: ${reason}`, ...none };
  }
}
