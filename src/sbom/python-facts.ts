// A wheel the build installed, as the SBOM describes it: name, version and
// licence from the wheel's own METADATA (read as `cudaseal sbom` reads an
// image's, source/python-packages.ts), the wheel's SHA-256 and URL from the
// lock, INSTALLER `cudaseal`.

import { parseMetadata } from "../source/python-packages.ts";
import type { PythonSbomPackage, SbomFile } from "./model.ts";
import { pythonLicense } from "./python-licenses.ts";

export interface InstalledWheel {
  /** Hex SHA-256 of the wheel file, as the lock pins it. */
  sha256: string;
  url?: string;
  installer?: string;
  /** The wheel's files in the image, when the SBOM lists files. */
  files?: readonly SbomFile[];
}

/** The SBOM package of one installed wheel; undefined when its METADATA has no valid Name and Version. */
export function pythonSbomPackage(metadata: string, wheel: InstalledWheel): PythonSbomPackage | undefined {
  const meta = parseMetadata(metadata);
  if (meta === undefined) return undefined;
  const pkg: PythonSbomPackage = { name: meta.name, version: meta.version, sha256: wheel.sha256 };
  const license = pythonLicense(meta);
  if (license !== undefined) pkg.license = license;
  if (wheel.url !== undefined) pkg.url = wheel.url;
  pkg.installer = wheel.installer ?? "cudaseal";
  if (wheel.files !== undefined) pkg.files = wheel.files;
  return pkg;
}
