// Image manifests and image indexes, the two documents that tie blobs into an
// image. A manifest names one platform's config and layers; an index names
// one manifest per platform. Both may carry an OCI 1.1 `subject`, which makes
// them a referrer of another manifest (an SBOM attached to an image).

import { CudasealError } from "../errors.ts";
import type { Descriptor } from "./descriptor.ts";
import { isSha256Digest } from "./descriptor.ts";
import { OCI_INDEX, OCI_MANIFEST } from "./media-types.ts";

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ManifestInput {
  config: Descriptor;
  layers: readonly Descriptor[];
  annotations?: Readonly<Record<string, string>>;
  /** Set for artifacts (SBOMs, signatures) whose config is the empty descriptor. */
  artifactType?: string;
  subject?: Descriptor;
}

/** Build an OCI image manifest. */
export function buildManifest(input: ManifestInput): ImageManifest {
  for (const d of [input.config, ...input.layers, ...(input.subject ? [input.subject] : [])])
    checkDescriptor(d);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: input.config,
    layers: [...input.layers],
  };
  if (input.artifactType !== undefined) manifest.artifactType = input.artifactType;
  if (input.subject !== undefined) manifest.subject = input.subject;
  if (input.annotations !== undefined && Object.keys(input.annotations).length > 0) {
    manifest.annotations = { ...input.annotations };
  }
  return manifest;
}

export interface IndexInput {
  /** Manifest descriptors, each with its `platform` when it is an image for one. */
  manifests: readonly Descriptor[];
  annotations?: Readonly<Record<string, string>>;
  artifactType?: string;
  subject?: Descriptor;
}

/** Build an OCI image index. */
export function buildIndex(input: IndexInput): ImageIndex {
  for (const d of input.manifests) checkDescriptor(d);
  const index: ImageIndex = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [...input.manifests] };
  if (input.artifactType !== undefined) index.artifactType = input.artifactType;
  if (input.subject !== undefined) index.subject = input.subject;
  if (input.annotations !== undefined && Object.keys(input.annotations).length > 0) {
    index.annotations = { ...input.annotations };
  }
  return index;
}

function checkDescriptor(d: Descriptor): void {
  if (!isSha256Digest(d.digest) || !Number.isSafeInteger(d.size) || d.size < 0 || d.mediaType === "") {
    throw new CudasealError("IMAGE_INVALID", `invalid descriptor ${JSON.stringify(d)}`);
  }
}
