// The repositories a `.sig` manifest's signatures claim (`docker-reference`),
// or a bundle signature referrer's statement names as its subject,
// for a copy to compare with where it is taking them: cosign never checks
// the claim, but `cudaseal verify --reference` and admission policies that
// match it do, so a push says so before it ships a claim that names
// somewhere else. Only reading: a layer that cannot be read or parsed is
// skipped here, as verification reports it.

import type { Descriptor } from "../oci/descriptor.ts";
import { MAX_BUNDLE } from "./bundle-store.ts";
import { SIMPLE_SIGNING_MEDIA_TYPE } from "./cosign-manifest.ts";
import { MAX_SIGNATURE_PAYLOAD } from "./sign-image.ts";
import { COSIGN_SIGN_PREDICATE_TYPE, parseSignedStatement } from "./sign-statement.ts";
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

/**
 * The repositories a bundle signature referrer (`doc`, its manifest,
 * parsed) claims: the names of its sign/v1 statement's subjects. Unverified
 * and only for the warning; a referrer that is not a readable bundle
 * signature claims nothing.
 */
export async function bundleSignedReferences(
  doc: Record<string, unknown>,
  readPayload: (layer: Descriptor, max: number) => Promise<Uint8Array>,
): Promise<string[]> {
  const annotations = doc.annotations as Record<string, unknown> | undefined;
  if (annotations?.["dev.sigstore.bundle.predicateType"] !== COSIGN_SIGN_PREDICATE_TYPE) return [];
  const layers = Array.isArray(doc.layers) ? (doc.layers as Descriptor[]) : [];
  if (layers.length !== 1 || typeof layers[0]?.size !== "number" || layers[0].size > MAX_BUNDLE) return [];
  try {
    const bundle = JSON.parse(Buffer.from(await readPayload(layers[0], MAX_BUNDLE)).toString("utf8"));
    const payload = Buffer.from(String(bundle?.dsseEnvelope?.payload ?? ""), "base64");
    const names = parseSignedStatement(payload).subject.map((s) => s.name);
    return [...new Set(names.filter((n) => typeof n === "string" && n !== ""))];
  } catch {
    // Not a bundle cosign would read: verify says why; there is no claim to compare.
    return [];
  }
}
