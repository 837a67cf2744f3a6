// One layer-cache entry as an OCI artifact in a registry repository, the way
// BuildKit keeps its registry cache: a manifest per layer-cache key, tagged
// `layer-<key>`, whose config is the entry's record (the layer's digests and
// what the build learnt while writing it, as the local layer cache keeps
// it) and whose one layer is the compressed layer blob itself:
//
//   manifest  artifactType  application/vnd.cudaseal.layer-cache.v1
//             config        application/vnd.cudaseal.layer-cache.record.v1+json
//             layers[0]     the layer, under its own media type (tar+gzip, tar+zstd)
//             annotations   dev.cudaseal.layer-cache.key = <key>
//
// Everything read back is checked against everything else before it is
// trusted: the manifest names the key asked for, the record names the same
// key and the same blob as the manifest. A mismatch is CACHE_ENTRY_POISONED.

import { CudasealError } from "../errors.ts";
import type { WrittenBlob } from "../layer/blob-writer.ts";
import { type Descriptor, isSha256Digest, sha256Digest } from "../oci/descriptor.ts";
import { OCI_LAYER_GZIP, OCI_LAYER_ZSTD, OCI_MANIFEST } from "../oci/media-types.ts";

export const CACHE_ARTIFACT_TYPE = "application/vnd.cudaseal.layer-cache.v1";
export const CACHE_RECORD_MEDIA_TYPE = "application/vnd.cudaseal.layer-cache.record.v1+json";
export const CACHE_KEY_ANNOTATION = "dev.cudaseal.layer-cache.key";

/** The layer media types an entry may hold: the ones a build writes. */
export const CACHE_LAYER_MEDIA_TYPES: readonly string[] = [OCI_LAYER_GZIP, OCI_LAYER_ZSTD];

/** The record as stored: the local layer cache's record, with the key it is for. */
export interface CacheRecord {
  key: string;
  blob: Omit<WrittenBlob, "path">;
  meta: unknown;
}

const KEY = /^[0-9a-f]{64}$/;

/** The tag an entry lives under: `layer-<key>` (70 characters, inside a tag's 128). */
export function cacheTag(key: string): string {
  if (!KEY.test(key)) throw new CudasealError("INTERNAL", `not a layer-cache key: ${JSON.stringify(key)}`);
  return `layer-${key}`;
}

/** The record's bytes and the manifest's bytes of the entry for `record`. */
export function entryDocuments(record: CacheRecord): { record: Buffer; manifest: Buffer } {
  const recordBytes = Buffer.from(JSON.stringify(record));
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: CACHE_ARTIFACT_TYPE,
    config: {
      mediaType: CACHE_RECORD_MEDIA_TYPE,
      digest: sha256Digest(recordBytes),
      size: recordBytes.length,
    },
    layers: [{ mediaType: record.blob.mediaType, digest: record.blob.digest, size: record.blob.size }],
    annotations: { [CACHE_KEY_ANNOTATION]: record.key },
  };
  return { record: recordBytes, manifest: Buffer.from(JSON.stringify(manifest)) };
}

/** The record's and the layer's descriptors from an entry's manifest, checked to be ours and for `key`. */
export function parseEntryManifest(
  bytes: Uint8Array,
  key: string,
  where: string,
): { record: Descriptor; layer: Descriptor } {
  const m = parseObject(bytes, key, where, "manifest");
  const config = m.config as Partial<Descriptor> | undefined;
  const layers = m.layers as Partial<Descriptor>[] | undefined;
  const annotations = m.annotations as Record<string, unknown> | undefined;
  if (m.artifactType !== CACHE_ARTIFACT_TYPE || config?.mediaType !== CACHE_RECORD_MEDIA_TYPE)
    throw poisoned(key, where, "its manifest is not a cudaseal layer-cache entry");
  if (annotations?.[CACHE_KEY_ANNOTATION] !== key)
    throw poisoned(key, where, `its manifest is for key ${String(annotations?.[CACHE_KEY_ANNOTATION])}`);
  if (!Array.isArray(layers) || layers.length !== 1)
    throw poisoned(key, where, "its manifest does not name exactly one layer");
  const record = descriptor(config, key, where);
  const layer = descriptor(layers[0], key, where);
  if (!CACHE_LAYER_MEDIA_TYPES.includes(layer.mediaType))
    throw poisoned(key, where, `its layer's media type is ${layer.mediaType}`);
  return { record, layer };
}

/** The entry's record, checked to be for `key` and to describe `layer` as the manifest does. */
export function parseRecord(bytes: Uint8Array, key: string, layer: Descriptor, where: string): CacheRecord {
  const r = parseObject(bytes, key, where, "record");
  const blob = r.blob as Partial<CacheRecord["blob"]> | undefined;
  if (r.key !== key) throw poisoned(key, where, `its record is for key ${String(r.key)}`);
  if (
    blob?.digest !== layer.digest ||
    blob.size !== layer.size ||
    blob.mediaType !== layer.mediaType ||
    typeof blob.diffId !== "string" ||
    !isSha256Digest(blob.diffId) ||
    !Number.isSafeInteger(blob.uncompressedSize) ||
    (blob.uncompressedSize ?? -1) < 0
  )
    throw poisoned(key, where, "its record does not describe the layer its manifest names");
  if (r.meta === null || typeof r.meta !== "object")
    throw poisoned(key, where, "its record holds no facts about the layer");
  return { key, blob: blob as CacheRecord["blob"], meta: r.meta };
}

/** CACHE_ENTRY_POISONED: the entry for `key` in `where` cannot be trusted, and why. */
export function poisoned(key: string, where: string, why: string, cause?: unknown): CudasealError {
  return new CudasealError(
    "CACHE_ENTRY_POISONED",
    `${where}: the layer-cache entry ${cacheTag(key)} is refused: ${why}`,
    {
      hint: "the layer is built here instead; remove the entry (or the repository) from the cache registry, and check who can push to it",
      cause,
      details: { where, key },
    },
  );
}

function parseObject(bytes: Uint8Array, key: string, where: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (err) {
    throw poisoned(key, where, `its ${what} is not JSON`, err);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw poisoned(key, where, `its ${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

function descriptor(d: Partial<Descriptor> | undefined, key: string, where: string): Descriptor {
  if (
    typeof d?.mediaType !== "string" ||
    typeof d.digest !== "string" ||
    !isSha256Digest(d.digest) ||
    !Number.isSafeInteger(d.size) ||
    (d.size ?? -1) < 0
  )
    throw poisoned(key, where, "its manifest holds a malformed descriptor");
  return { mediaType: d.mediaType, digest: d.digest, size: d.size as number };
}
