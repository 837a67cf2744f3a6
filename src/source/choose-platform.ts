// Which image of a multi-platform index to read, the same for every source
// that holds an index (an OCI layout, a registry), the check that an image
// chosen without an index is for the platform asked, and the error when none fits.

import { CudasealError } from "../errors.ts";
import { type Platform, platformMatches, platformString } from "../oci/platform.ts";

/** What choosing needs of an index entry. */
export interface PlatformEntry {
  digest: string;
  platform?: Platform;
  artifactType?: string;
}

/** False for the entries of an index that are no image to read: attestations and signatures ride along as `unknown/unknown`, SBOMs as artifacts. */
function isImageEntry(d: PlatformEntry): boolean {
  return d.platform?.architecture !== "unknown" && d.artifactType === undefined;
}

/** The image entry of an index for `arch` (the only image when there is one and `explicit` is false). */
export function choosePlatform<T extends PlatformEntry>(
  descs: readonly T[],
  arch: string,
  label: string,
  explicit: boolean,
): T {
  // A layout lists a single-platform image twice (TAG and TAG-<arch>): one image, by digest.
  const images = descs.filter(
    (d, i) => isImageEntry(d) && descs.findIndex((e) => e.digest === d.digest) === i,
  );
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

/** IMAGE_INVALID unless the image whose `config` this is runs on `arch` (a config that names no architecture passes). */
export function checkConfigPlatform(config: Record<string, unknown>, arch: string, label: string): void {
  if (typeof config.architecture !== "string") return;
  const p: Platform = { architecture: config.architecture, os: String(config.os ?? "linux") };
  if (typeof config.variant === "string") p.variant = config.variant;
  if (!platformMatches(p, arch)) throw noPlatform(label, arch, [platformString(p)]);
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
