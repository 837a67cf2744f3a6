// The small set of operations signing and attesting need from wherever an
// image lives: read a manifest by tag or digest, read and write small blobs,
// write a manifest under a tag. An OCI layout on disk and a registry
// repository both implement it, so `sign`, `verify` and `attest` work the
// same offline and online.

import type { Descriptor } from "./descriptor.ts";

/** A manifest or index as stored: its exact bytes, their digest, and its media type. */
export interface StoredManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

export interface ArtifactStore {
  /** How messages name the store: `oci:DIR` or `registry.example/repo`. */
  readonly name: string;
  /** The manifest or index a tag or `sha256:` digest names, or undefined when there is none. */
  getManifest(reference: string): Promise<StoredManifest | undefined>;
  /** A blob's bytes, refused (IMAGE_INVALID) if larger than `maxBytes` or not matching `digest`. */
  getBlob(digest: string, maxBytes: number): Promise<Buffer>;
  /** Store a blob (a no-op when already present) and describe it. */
  putBlob(bytes: Uint8Array, mediaType: string): Promise<Descriptor>;
  /** Store a manifest or index, under `tag` when given, and describe it. */
  putManifest(bytes: Uint8Array, mediaType: string, tag?: string): Promise<Descriptor>;
  /**
   * Manifests whose `subject` is `digest` (the OCI 1.1 referrers API, or
   * its fallback tag `sha256-<hex>`), optionally only one artifact type;
   * with `limit`, no more than that many (the rest are not looked at, so a
   * referrer bomb costs a caller who asks for a few no more than a few).
   */
  referrers(digest: string, artifactType?: string, limit?: number): Promise<Descriptor[]>;
}
