// The repositories a `.sig` manifest's signatures claim (`docker-reference`),
// for a copy to compare with where it is taking them: cosign never checks
// the claim, but `cudaseal verify --reference` and admission policies that
// match it do, so a push says so before it ships a claim that names
// somewhere else. Only reading: a layer that cannot be read or parsed is
// skipped here, as verification reports it.

import type { Descriptor } from "../oci/descriptor.ts";
import { SIMPLE_SIGNING_MEDIA_TYPE } from "./cosign-manifest.ts";
import { MAX_SIGNATURE_PAYLOAD } from "./sign-image.ts";
import { parseSimpleSigning } from "./simple-signing.ts";

/** The distinct `docker-reference` claims of the signature layers of a `.sig` manifest (`doc`, parsed). */
export async function signedReferences(
  doc: Record<string, unknown>,
  readPayload: (layer: Descriptor, max: number) => Promise<Uint8Array>,
): Promise<string[]> {
  const layers = Array.isArray(doc.layers) ? (doc.layers as Descriptor[]) : [];
  const found = new Set<string>();
  for (const layer of layers) {
    if (layer?.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE || typeof layer.size !== "number") continue;
    if (layer.size > MAX_SIGNATURE_PAYLOAD) continue;
    try {
      found.add(parseSimpleSigning(await readPayload(layer, MAX_SIGNATURE_PAYLOAD)).dockerReference);
    } catch {
      // Not a payload cosign would read: verify says why; there is no claim to compare.
    }
  }
  return [...found];
}
