// What one platform image holds, for matching: from the SBOM it carries
// (sbom-referrer.ts), else from its layers' package databases as `scan`
// reads them, and which Debian release it is: `--release`, else what the
// SBOM's purls or the image's os-release say. Python distributions come
// along either way.

import { CudasealError } from "../errors.ts";
import { distroOf } from "../sbom/index.ts";
import { codenameOf, debianCodename, readImagePackages } from "../scan/index.ts";
import type { InstalledPackage } from "../source/packages.ts";
import { openPlatform } from "../source/platform-walk.ts";
import type { PythonPackage } from "../source/python-packages.ts";
import type { ImageReader } from "../source/types.ts";
import type { PlatformImage } from "./platforms.ts";
import { readSbomReferrer } from "./sbom-referrer.ts";

/** An image's packages and release, and where they were read from. */
export interface Inventory {
  via: "sbom" | "layers";
  /** The SBOM's format, when read from one. */
  sbomFormat?: "spdx" | "cyclonedx";
  release: string;
  packages: InstalledPackage[];
  python: PythonPackage[];
}

export interface InventoryOptions {
  /** The Debian release (a codename), overriding what the image says. */
  release?: string;
  /** False: always read the layers, even where an SBOM is attached. */
  useSbom?: boolean;
}

/** The inventory of `image` as `reader` reads it: its SBOM when it has one, else its layers. */
export async function readInventory(
  reader: ImageReader,
  image: PlatformImage,
  options: InventoryOptions,
): Promise<Inventory> {
  const label = `${reader.label}@${image.digest}`;
  const sbom = options.useSbom === false ? undefined : await readSbomReferrer(reader, image.digest);
  if (sbom !== undefined) {
    const { inventory } = sbom;
    const distro = inventory.distro;
    let release = options.release;
    if (release === undefined) {
      if (distro === undefined || distro.id !== "debian")
        throw new CudasealError(
          "IMAGE_INVALID",
          `${label}: its SBOM names ${distro === undefined ? "no Debian release" : `${distro.id}, not Debian`}`,
          { hint: "the Debian data only describes Debian; pass --release CODENAME to match anyway" },
        );
      release =
        distro.versionId === undefined
          ? undefined
          : (codenameOf(distro.versionId) ?? codename(distro.versionId));
      if (release === undefined)
        throw new CudasealError(
          "IMAGE_INVALID",
          `${label}: cannot tell which Debian release its SBOM names`,
          {
            hint: "pass --release CODENAME",
          },
        );
    }
    return {
      via: "sbom",
      sbomFormat: inventory.format,
      release,
      packages: inventory.packages,
      python: inventory.python.map((p) => ({ ...p, path: "", metadataPath: "", licenseClassifiers: [] })),
    };
  }
  const opened = await openPlatform(reader, image.arch);
  const { records, python, osRelease } = await readImagePackages(opened, label);
  const distro = distroOf(osRelease);
  if (options.release === undefined && distro.id !== "debian")
    throw new CudasealError("IMAGE_INVALID", `${label} is ${distro.id}, not Debian`, {
      hint: "the Debian data only describes Debian; pass --release CODENAME to match anyway",
    });
  const release = options.release ?? debianCodename(osRelease);
  if (release === undefined)
    throw new CudasealError("IMAGE_INVALID", `cannot tell which Debian release ${label} is`, {
      hint: "its os-release names no VERSION_CODENAME or known VERSION_ID: pass --release CODENAME",
    });
  return { via: "layers", release, packages: records.map((r) => r.package), python };
}

/** A distro qualifier that is a codename already (`debian-trixie`). */
function codename(value: string): string | undefined {
  return /^[a-z][a-z0-9-]*$/.test(value) ? value : undefined;
}
