// Which image of a multi-platform index to read, the same for every source
// that holds an index (an OCI layout, a registry), and the error when none fits.

import { CudasealError } from "../errors.ts";
import { type Platform, platformMatches, platformString } from "../oci/platform.ts";

/** What choosing needs of an index entry. */
export interface PlatformEntry {
  digest: string;
  platform?: Platform;
  artifactType?: string;
}

/** The image entry of an index for `arch` (the only image when there is one and `explicit` is false). */
export function choosePlatform<T extends PlatformEntry>(
  descs: readonly T[],
  arch: string,
  label: string,
  explicit: boolean,
): T {
  // Attestations and signatures ride along as `unknown/unknown`, SBOMs as artifacts: never an image to read.
  const images = descs.filter((d) => d.platform?.architecture !== "unknown" && d.artifactType === undefined);
  // One image and no --arch: that one, whatever its platform.
  if (images.length === 1 && (images[0].platform === undefined || !explicit)) return images[0];
  const match = images.find((d) => d.platform !== undefined && platformMatches(d.platform, arch));
  if (match !== undefined) return match;
  throw noPlatform(
    label,
    arch,
    images.map((d) => (d.platform ? platformString(d.platform) : d.digest)),
  );
}

/** The error for an image with no platform matching `arch`. */
export function noPlatform(label: string, arch: string, available: string[]): CudasealError {
  return new CudasealError(
    "IMAGE_INVALID",
    `${label} has no ${arch} image (it has ${available.join(", ")})`,
    {
      hint: `choose one of ${available.join(", ")} with --arch`,
      details: { arch, available },
    },
  );
}
