// Where cosign keeps an image's signatures and attestations: an OCI
// manifest tagged `sha256-<hex>.sig` (or `.att`) in the image's own
// repository, one layer per signature. A signature layer's blob is the
// signed payload, its annotations carry the signature (and, for keyless
// signatures, the certificate). The config is go-containerregistry's
// config of an empty image with those layers, as cosign writes it.
// A new signature is appended to the layers already there.

import { CudasealError } from "../errors.ts";
import type { ArtifactStore } from "../oci/artifact-store.ts";
import { type Descriptor, digestHex } from "../oci/descriptor.ts";
import { OCI_CONFIG, OCI_MANIFEST } from "../oci/media-types.ts";

/** The layer media type of a cosign image signature (the simple signing payload). */
export const SIMPLE_SIGNING_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json";
/** The layer media type of a cosign attestation (a DSSE envelope). */
export const DSSE_ENVELOPE_MEDIA_TYPE = "application/vnd.dsse.envelope.v1+json";
/** Base64 signature over the layer's payload. */
export const SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";
/** PEM signing certificate (keyless). */
export const CERTIFICATE_ANNOTATION = "dev.sigstore.cosign/certificate";
/** PEM certificate chain (keyless). */
export const CHAIN_ANNOTATION = "dev.sigstore.cosign/chain";
/** The attestation's predicate type URI. */
export const PREDICATE_TYPE_ANNOTATION = "predicateType";

/** `sig` for signatures, `att` for attestations. */
export type CosignKind = "sig" | "att";

/**
 * The tag cosign stores `digest`'s signatures, attestations or attached SBOM
 * (`cosign attach sbom`) under; IMAGE_INVALID for a digest that is not sha256.
 */
export function cosignTag(digest: string, kind: CosignKind | "sbom"): string {
  return `sha256-${digestHex(digest)}.${kind}`;
}

/** The layers of the `.sig`/`.att` manifest for `digest`; empty when there is none. */
export async function readCosignLayers(
  store: ArtifactStore,
  digest: string,
  kind: CosignKind,
): Promise<Descriptor[]> {
  const stored = await store.getManifest(cosignTag(digest, kind));
  if (stored === undefined) return [];
  let doc: { layers?: unknown };
  try {
    doc = JSON.parse(stored.bytes.toString("utf8"));
  } catch (err) {
    throw new CudasealError("IMAGE_INVALID", `${store.name}: ${cosignTag(digest, kind)} is not JSON`, {
      cause: err,
    });
  }
  if (!Array.isArray(doc.layers)) {
    throw new CudasealError(
      "IMAGE_INVALID",
      `${store.name}: ${cosignTag(digest, kind)} is not an image manifest`,
    );
  }
  return doc.layers as Descriptor[];
}

/** A layer to add: the payload bytes and the annotations that go on its descriptor. */
export interface CosignLayer {
  mediaType: string;
  payload: Uint8Array;
  annotations: Record<string, string>;
}

/**
 * Append `layer` to the `.sig`/`.att` manifest of `digest` (made when there
 * is none), unless `isDuplicate` says an existing layer already says the
 * same. Returns the manifest written, or undefined when nothing changed.
 */
export async function appendCosignLayer(
  store: ArtifactStore,
  digest: string,
  kind: CosignKind,
  layer: CosignLayer,
  isDuplicate: (existing: Descriptor) => Promise<boolean> = async () => false,
): Promise<Descriptor | undefined> {
  const layers = await readCosignLayers(store, digest, kind);
  for (const existing of layers) if (await isDuplicate(existing)) return undefined;
  const blob = await store.putBlob(layer.payload, layer.mediaType);
  layers.push({ ...blob, annotations: { ...layer.annotations } });
  const configDesc = await store.putBlob(signatureConfigBytes(layers), OCI_CONFIG);
  const manifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: configDesc, layers };
  return store.putManifest(
    Buffer.from(JSON.stringify(manifest), "utf8"),
    OCI_MANIFEST,
    cosignTag(digest, kind),
  );
}

/** A layer's payload, read with the store's digest check; a mismatch means the payload was changed. */
export async function readLayerPayload(
  store: ArtifactStore,
  layer: Descriptor,
  maxBytes: number,
): Promise<Buffer> {
  if (typeof layer.size === "number" && layer.size > maxBytes) {
    throw new CudasealError(
      "VERIFY_PAYLOAD_TAMPERED",
      `${store.name}: payload ${layer.digest} is ${layer.size} bytes`,
    );
  }
  try {
    return await store.getBlob(layer.digest, maxBytes);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "IMAGE_INVALID" || code === "REGISTRY_DIGEST_MISMATCH") {
      throw new CudasealError(
        "VERIFY_PAYLOAD_TAMPERED",
        `${store.name}: the payload stored for signature layer ${layer.digest} is not what the signature manifest names`,
        { cause: err, details: { layer: layer.digest } },
      );
    }
    throw err;
  }
}

/**
 * The config of a `.sig`/`.att` manifest with these layers, byte for byte as
 * cosign writes it (go-containerregistry's empty image). The layers are
 * stored uncompressed, so each diff ID is its digest.
 */
export function signatureConfigBytes(layers: readonly Descriptor[]): Buffer {
  const config = {
    architecture: "",
    created: "0001-01-01T00:00:00Z",
    history: layers.map(() => ({ created: "0001-01-01T00:00:00Z" })),
    os: "",
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) },
    config: {},
  };
  return Buffer.from(JSON.stringify(config), "utf8");
}
