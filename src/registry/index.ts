// The registry client: what the rest of cudaseal may use. Images move with
// copyImage (push, pull, copy); signing reaches a repository through
// openRegistryStore; references parse with parseRegistryRef.

export type { BlobSource, UploadOptions, UploadResult } from "./blob-upload.ts";
export type { RegistryClientOptions, RetryPolicy } from "./client.ts";
export type { CopyOptions, CopySummary } from "./copy-image.ts";
export { copyImage } from "./copy-image.ts";
export type { Credential, CredentialOptions } from "./credentials.ts";
export { findCredential } from "./credentials.ts";
export type { RegistryRef } from "./reference.ts";
export { formatRegistryRef, looksLikeRegistryRef, parseRegistryRef } from "./reference.ts";
export { listReferrers, referrersTag } from "./referrers.ts";
export { openRegistryImage } from "./registry-image.ts";
export { openRegistryStore, RegistryStore } from "./registry-store.ts";
export { openRepository, Repository } from "./repository.ts";
