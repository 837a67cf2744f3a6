// Where cosign keeps an image's signatures and attestations: an OCI
// manifest tagged `sha256-<hex>.sig` (or `.att`) in the image's own
// repository, one layer per signature. A signature layer's blob is the
// signed payload, its annotations carry the signature (and, for keyless
// signatures, the certificate). The config is go-containerregistry's
// config of an empty image with those layers, as cosign writes it.
// A new signature is appended to the layers already there.
//
// The manifest is read as cosign reads it (go-containerregistry's
// v1.Manifest through Go's encoding/json), so that a manifest naming its
// layers twice, or `Layers` for `layers`, means to cudaseal what it means
// to cosign, or is refused.

import { CudasealError } from "../errors.ts";
import type { ArtifactStore } from "../oci/artifact-store.ts";
import { type Descriptor, digestHex } from "../oci/descriptor.ts";
import { OCI_CONFIG, OCI_MANIFEST } from "../oci/media-types.ts";
import { cappedReferrers } from "./capped-referrers.ts";
import { type GoType, goUnmarshal, utf8Text } from "./go-json.ts";

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
/** JSON Rekor bundle (keyless, or signed with the transparency log). */
export const BUNDLE_ANNOTATION = "dev.sigstore.cosign/bundle";
/** JSON RFC 3161 timestamp. */
export const TIMESTAMP_ANNOTATION = "dev.sigstore.cosign/rfc3161timestamp";
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

/** Cosign reads no more layers than this from one `.sig`/`.att` manifest. */
const MAX_COSIGN_LAYERS = 1000;

const GO_PLATFORM: GoType = {
  struct: {
    architecture: "string",
    os: "string",
    "os.version": "string",
    "os.features": { slice: "string" },
    variant: "string",
    features: { slice: "string" },
  },
};

const GO_DESCRIPTOR: GoType = {
  struct: {
    mediaType: "string",
    size: "int64",
    digest: "hash",
    data: "bytes",
    urls: { slice: "string" },
    annotations: { map: "string" },
    platform: { pointer: GO_PLATFORM },
    artifactType: "string",
  },
};

/** go-containerregistry's v1.Manifest. */
const GO_MANIFEST: GoType = {
  struct: {
    schemaVersion: "int64",
    mediaType: "string",
    config: GO_DESCRIPTOR,
    layers: { slice: GO_DESCRIPTOR },
    annotations: { map: "string" },
    subject: { pointer: GO_DESCRIPTOR },
  },
};

/**
 * The layers of the `.sig`/`.att` manifest for `digest`, as cosign reads
 * them; empty when there is none. IMAGE_INVALID when cosign could not read
 * the manifest, or when it names a field twice.
 */
export async function readCosignLayers(
  store: ArtifactStore,
  digest: string,
  kind: CosignKind,
): Promise<Descriptor[]> {
  return readCosignManifestLayers(store, cosignTag(digest, kind));
}

/**
 * The artifact type of a signature manifest cosign 2.x pushes as an OCI 1.1
 * referrer (`cosign sign --registry-referrers-mode=oci-1-1`, experimental):
 * the `.sig` manifest's layers, with a `subject` instead of a tag.
 */
export const COSIGN_SIG_REFERRER_TYPE = "application/vnd.dev.cosign.artifact.sig.v1+json";
/** Such referrers of one image read at most. */
const MAX_SIG_REFERRERS = 16;

/**
 * The signature layers of cosign 2.x's signature referrers of `digest`
 * (read as the `.sig` manifest is); VERIFY_TOO_MANY_REFERRERS past a few.
 * `referrers`: the digest's referrers when the caller listed them already.
 */
export async function readSignatureReferrerLayers(
  store: ArtifactStore,
  digest: string,
  referrers?: readonly Descriptor[],
): Promise<Descriptor[]> {
  const listed = (referrers ?? (await cappedReferrers(store, digest))).filter(
    (d) => d.artifactType === COSIGN_SIG_REFERRER_TYPE,
  );
  if (listed.length > MAX_SIG_REFERRERS)
    throw new CudasealError(
      "VERIFY_TOO_MANY_REFERRERS",
      `${store.name}: ${digest} has more than ${MAX_SIG_REFERRERS} cosign signature referrers`,
      { details: { subject: digest, max: MAX_SIG_REFERRERS } },
    );
  const layers: Descriptor[] = [];
  for (const d of listed) layers.push(...(await readCosignManifestLayers(store, d.digest)));
  return layers;
}

/** The layers of the signature manifest `reference` names, as cosign reads them; empty when there is none. */
async function readCosignManifestLayers(store: ArtifactStore, reference: string): Promise<Descriptor[]> {
  const stored = await store.getManifest(reference);
  if (stored === undefined) return [];
  const what = `${store.name}: ${reference}`;
  const invalid = (why: string) =>
    new CudasealError("IMAGE_INVALID", `${what} is not a manifest cosign reads: ${why}`);
  const text = utf8Text(stored.bytes);
  if (text === undefined) throw invalid("it is not UTF-8");
  const manifest = goUnmarshal(text, GO_MANIFEST, invalid) as { layers: GoDescriptor[] | null };
  const layers = manifest.layers ?? [];
  if (layers.length > MAX_COSIGN_LAYERS) {
    throw invalid(`it has ${layers.length} layers, more than the ${MAX_COSIGN_LAYERS} cosign reads`);
  }
  // Cosign looks each layer up by its digest, and fails the whole manifest on one that has none.
  if (layers.some((l) => l.digest === "")) throw invalid("a layer has no digest");
  return layers.map(descriptorAsGoWritesIt);
}

interface GoDescriptor {
  mediaType: string;
  size: number;
  digest: string;
  data: Buffer | null;
  urls: string[] | null;
  annotations: Record<string, string> | null;
  platform: Record<string, unknown> | null;
  artifactType: string;
}

/** A descriptor as go-containerregistry writes it back: its fields in order, empty ones left out. */
function descriptorAsGoWritesIt(d: GoDescriptor): Descriptor {
  const out: Record<string, unknown> = { mediaType: d.mediaType, size: d.size, digest: d.digest };
  if (d.data !== null && d.data.length > 0) out.data = d.data.toString("base64");
  if (d.urls !== null && d.urls.length > 0) out.urls = d.urls;
  if (d.annotations !== null && Object.keys(d.annotations).length > 0) out.annotations = d.annotations;
  if (d.platform !== null) {
    const p: Record<string, unknown> = { architecture: d.platform.architecture, os: d.platform.os };
    for (const k of ["os.version", "os.features", "variant", "features"]) {
      const v = d.platform[k];
      if (v !== "" && v !== null && !(Array.isArray(v) && v.length === 0)) p[k] = v;
    }
    out.platform = p;
  }
  if (d.artifactType !== "") out.artifactType = d.artifactType;
  return out as unknown as Descriptor;
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
  let bytes: Buffer;
  try {
    bytes = await store.getBlob(layer.digest, maxBytes);
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
  // Cosign reads exactly the size the descriptor gives, and refuses a blob of another size.
  if (bytes.length !== layer.size) {
    throw new CudasealError(
      "VERIFY_PAYLOAD_TAMPERED",
      `${store.name}: signature layer ${layer.digest} says ${layer.size} bytes, its payload is ${bytes.length}`,
      { details: { layer: layer.digest } },
    );
  }
  return bytes;
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
