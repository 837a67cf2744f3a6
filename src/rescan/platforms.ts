// Which images a reference leads to: a multi-platform index is every
// platform's manifest (attestation and signature entries left out), each
// rescanned on its own, since each carries its own SBOM; a manifest is
// itself. With `arch`, only that platform.

import { CudasealError } from "../errors.ts";
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

/**
 * Most platforms one index may list. Past it the index is refused, not cut
 * short: a rescan that left platforms out would pass a gate over images it
 * never read.
 */
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
  if (entries.length > MAX_PLATFORMS)
    throw new CudasealError(
      "IMAGE_INVALID",
      `${reader.label}@${root.digest} lists ${entries.length} platforms, more than ${MAX_PLATFORMS}`,
      { hint: "no image is built for that many platforms; name the platform manifests to rescan by digest" },
    );
  const seen = new Set<string>();
  const images: PlatformImage[] = [];
  for (const d of entries) {
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
