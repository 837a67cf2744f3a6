// The registry client: what the rest of cudaseal may use of the Distribution
// API. Image readers (src/source/) get manifests and blobs through
// openRepository; the copy (src/copy/) uploads, mounts and lists referrers;
// signing reaches a repository through openRegistryStore; references parse
// with parseRegistryRef.

export { blobSize, getBlob, streamBlob } from "./blob-read.ts";
export type { BlobSource, UploadResult } from "./blob-upload.ts";
export { bytesBlob, streamedBlob, uploadBlob } from "./blob-upload.ts";
export type { RegistryClientOptions } from "./client.ts";
export type { RegistryRef } from "./reference.ts";
export { formatRegistryRef, looksLikeRegistryRef, manifestReference, parseRegistryRef } from "./reference.ts";
export { addFallbackReferrer, listReferrers } from "./referrers.ts";
export { openRegistryStore } from "./registry-store.ts";
export { MAX_MANIFEST, openRepository, Repository } from "./repository.ts";
