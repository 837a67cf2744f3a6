// The SBOM of any image, cudaseal's or not: the packages its dpkg or apk
// database lists, read in one streaming pass over its layers, and the
// distribution its os-release names.

import { readFilesystem } from "../source/filesystem.ts";
import { openImage } from "../source/image-source.ts";
import { installedPackages, isPackageDb } from "../source/packages.ts";
import { type Distro, type SbomModel, sbomModelFromInstalled } from "./model.ts";

const OS_RELEASE = ["/etc/os-release", "/usr/lib/os-release"];

export async function imageSbomModel(ref: string, options: { arch?: string } = {}): Promise<SbomModel> {
  const image = await openImage(ref, options);
  const fs = await readFilesystem(image, {
    origin: ref,
    want: (path) => isPackageDb(path) || OS_RELEASE.includes(path),
  });
  const osRelease = OS_RELEASE.map((p) => fs.contents.get(p)).find((b) => b !== undefined);
  const config = image.config as { created?: string; architecture?: string };
  return sbomModelFromInstalled(
    {
      name: ref,
      digest: image.manifestDigest,
      created: config.created ?? "1970-01-01T00:00:00Z",
      arch: config.architecture ?? options.arch ?? "unknown",
    },
    installedPackages(fs),
    distroOf(osRelease?.toString("utf8") ?? ""),
  );
}

/** `ID` and `VERSION_ID` of an os-release file; Debian when it names none. */
export function distroOf(text: string): Distro {
  const field = (name: string) => {
    const m = new RegExp(`^${name}=("?)([^"\\n]*)\\1$`, "m").exec(text);
    return m?.[2] || undefined;
  };
  const id = field("ID") ?? "debian";
  return { id, versionId: field("VERSION_ID") };
}
