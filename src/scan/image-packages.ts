// What a scan reads from an image's layers, in one pass: the dpkg records,
// the Python distributions' metadata and os-release. Shared by `scan` and by
// a rescan of an image that carries no SBOM.

import { isOwnershipDb } from "../source/file-owners.ts";
import { readFilesystem } from "../source/filesystem.ts";
import { installedPackageRecords, isPackageDb, type PackageRecord } from "../source/packages.ts";
import { isPythonMetadata, type PythonPackage, pythonPackages } from "../source/python-packages.ts";
import type { OpenedImage } from "../source/types.ts";

const OS_RELEASE = ["/etc/os-release", "/usr/lib/os-release"];

/** The packages an image's layers record, and its os-release text ("" when it has none). */
export interface ImagePackages {
  /** dpkg records only: the Debian data describes nothing else. */
  records: PackageRecord[];
  python: PythonPackage[];
  osRelease: string;
}

/** Read `image`'s package databases and os-release; `origin` names it in errors. */
export async function readImagePackages(image: OpenedImage, origin: string): Promise<ImagePackages> {
  const fs = await readFilesystem(image, {
    origin,
    want: (path) =>
      isPackageDb(path) || isOwnershipDb(path) || isPythonMetadata(path) || OS_RELEASE.includes(path),
  });
  return {
    records: installedPackageRecords(fs).filter((r) => r.package.manager === "dpkg"),
    python: pythonPackages(fs),
    osRelease: (OS_RELEASE.map((p) => fs.contents.get(p)).find((b) => b !== undefined) ?? "").toString(),
  };
}
