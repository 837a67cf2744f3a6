// The registry-backed layer cache: layer-cache entries kept as OCI artifacts
// in a registry repository (cache-entry.ts has the format), read on a local
// miss and verified on the way in, written all or nothing.

export {
  CACHE_ARTIFACT_TYPE,
  CACHE_KEY_ANNOTATION,
  CACHE_RECORD_MEDIA_TYPE,
  cacheTag,
} from "./cache-entry.ts";
export {
  type RegistryCacheOptions,
  type RegistryCacheStats,
  RegistryLayerCache,
} from "./registry-layer-cache.ts";
