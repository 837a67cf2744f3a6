// Where a copy writes, as containers/image's ImageDestination: one interface
// that a registry repository, an OCI layout and the archives each implement
// (destinations.ts lists them), so the copy (copy-image.ts) names no
// transport. Blobs go first, then the manifests below the root, the
// referrers and cosign's tags, and last the root under its name.

import type { StoredManifest } from "../oci/artifact-store.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import type { BlobSource, RegistryClientOptions, UploadResult } from "../registry/index.ts";

/** A place to copy an image to. */
export interface CopyDestination {
  /** The reference as typed, for messages and the summary. */
  readonly label: string;
  /** Set for a registry repository: where same-registry mounts can go. */
  readonly registry?: { registry: string; repository: string };
  /** Set where only one platform fits (a Docker archive): the copy takes `--arch`'s, else the host's. */
  readonly onePlatform?: boolean;
  /** False where neither referrers nor cosign's tags have a place (a Docker archive). */
  readonly referrers?: boolean;
  hasBlob(desc: Descriptor): Promise<boolean>;
  putBlob(
    blob: BlobSource,
    options: { onBytes?: (n: number) => void; mountFrom?: readonly string[] },
  ): Promise<UploadResult>;
  /** Store a manifest below the root, by digest. */
  putManifest(manifest: StoredManifest): Promise<void>;
  /** Store a manifest whose `subject` is part of the image, where readers of referrers will find it. */
  putReferrer(manifest: StoredManifest): Promise<void>;
  /** The manifest under `tag` now (cosign's `sha256-<hex>.sig` and kin), or undefined when there is none. */
  tagged(tag: string): Promise<StoredManifest | undefined>;
  /** Store a manifest under `tag` (its blobs already stored). */
  putTagged(manifest: StoredManifest, tag: string): Promise<void>;
  /** Store the root and name it (by the destination's tag, or by digest). */
  finish(root: StoredManifest): Promise<void>;
  /** Undo what a copy that will not finish wrote, where the destination can: a layout is left as it was. */
  abort(): Promise<void>;
}

export interface DestinationOptions {
  registry?: RegistryClientOptions;
  /** Chunked uploads of this many bytes (registry destinations). */
  chunkSize?: number;
  /** The Docker name the image goes by at its source (`host/repo:tag`), for a destination that names images. */
  sourceName?: string;
}
