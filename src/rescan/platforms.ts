// Which images a reference leads to: a multi-platform index is every
// platform's manifest (attestation and signature entries left out), each
// rescanned on its own, since each carries its own SBOM; a manifest is
// itself. With `arch`, only that platform.

import type { Descriptor } from "../oci/descriptor.ts";
import { type Platform, platformMatches, platformString } from "../oci/platform.ts";
import { parseJson } from "../source/image-json.ts";
import { rootManifest } from "../source/platform-walk.ts";
import type { ImageReader } from "../source/types.ts";

/** One platform's image of a reference. */
export interface PlatformImage {
  /** The platform manifest's digest: what its SBOM's subject names. */
  digest: string;
  /** The index it was listed in, when there is one. */
  indexDigest?: string;
  /** `linux/amd64`, as the index says; absent for a reference that named a manifest. */
  platform?: string;
  /** The architecture to open the image with (`amd64`, `arm/v7`), for reading its layers. */
  arch?: string;
}

/** Most platforms one index may list before it is refused as no image's. */
const MAX_PLATFORMS = 64;

/** The platform images of what `reader` names; `arch` keeps one platform. */
export async function platformImages(reader: ImageReader, arch?: string): Promise<PlatformImage[]> {
  const root = await rootManifest(reader);
  const doc = parseJson(root.bytes, `${reader.label}@${root.digest}`);
  if (!Array.isArray(doc.manifests)) return [{ digest: root.digest }];
  const entries = (doc.manifests as Descriptor[]).filter(
    (d): d is Descriptor & { platform: Platform } =>
      typeof d?.digest === "string" &&
      d.platform !== undefined &&
      d.platform.architecture !== "unknown" &&
      d.artifactType === undefined,
  );
  const seen = new Set<string>();
  const images: PlatformImage[] = [];
  for (const d of entries.slice(0, MAX_PLATFORMS)) {
    if (seen.has(d.digest) || (arch !== undefined && !platformMatches(d.platform, arch))) continue;
    seen.add(d.digest);
    images.push({
      digest: d.digest,
      indexDigest: root.digest,
      platform: platformString(d.platform),
      arch: d.platform.variant ? `${d.platform.architecture}/${d.platform.variant}` : d.platform.architecture,
    });
  }
  return images;
}
