// The entries a copy adds to a layout's or an archive's index.json besides
// referrers: the root, and cosign's tags. Both destinations list them alike,
// so that a reader choosing "the image" (source/layout-default.ts) reads a
// copied layout and a copied archive the same way.

import type { StoredManifest } from "../oci/artifact-store.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { ANNOTATION_REF_NAME, cosignArtifactType } from "../oci/media-types.ts";

/** index.json's entry for the root: by digest, and named `tag` when there is one. */
export function rootEntry(root: StoredManifest, tag: string | undefined): Descriptor {
  const entry: Descriptor = { mediaType: root.mediaType, digest: root.digest, size: root.bytes.length };
  if (tag !== undefined) entry.annotations = { [ANNOTATION_REF_NAME]: tag };
  return entry;
}

/**
 * index.json's entry for a cosign tag, listed as the layout store lists
 * them: with cosign's artifact type, so that readers choosing "the image" of
 * an untagged layout pass them over.
 */
export function cosignEntry(m: StoredManifest, tag: string): Descriptor {
  const entry: Descriptor = {
    mediaType: m.mediaType,
    digest: m.digest,
    size: m.bytes.length,
    annotations: { [ANNOTATION_REF_NAME]: tag },
  };
  const artifactType = cosignArtifactType(tag);
  if (artifactType !== undefined) entry.artifactType = artifactType;
  return entry;
}
