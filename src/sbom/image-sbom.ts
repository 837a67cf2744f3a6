// The SBOM of any image, cudaseal's or not, read in one streaming pass over
// its layers: the packages its dpkg or apk database lists, each one's
// licence from its /usr/share/doc/NAME/copyright, the Python distributions
// its site-packages hold (source/python-packages.ts: licence from their
// metadata, files from RECORD), the checksums of its
// regular files (hashed as they stream past, never held), which package
// owns each (file-ownership.ts), and the distribution its os-release names.

import { posix } from "node:path";
import { isOwnershipDb } from "../source/file-owners.ts";
import { type ImageFilesystem, readFilesystem } from "../source/filesystem.ts";
import { openImage } from "../source/image-source.ts";
import { installedPackages, isPackageDb } from "../source/packages.ts";
import { isPythonMetadata, type PythonPackage, pythonPackages } from "../source/python-packages.ts";
import { type CopyrightLicense, copyrightLicense, MAX_COPYRIGHT_BYTES } from "./copyright.ts";
import { imageFiles } from "./file-ownership.ts";
import {
  type Distro,
  type PythonSbomPackage,
  type SbomFile,
  type SbomModel,
  sbomModelFromInstalled,
} from "./model.ts";
import { pythonLicense } from "./python-licenses.ts";

const OS_RELEASE = ["/etc/os-release", "/usr/lib/os-release"];
const COPYRIGHT = /^\/usr\/share\/doc\/[^/]+\/copyright$/;

export interface ImageSbomOptions {
  arch?: string;
  /** List every package's files with their checksums, not only the files no package owns. */
  files?: boolean;
}

/**
 * The files an SBOM is made from, for readFilesystem's `want`: package and
 * ownership databases, Python metadata and os-release whole, copyright files
 * up to MAX_COPYRIGHT_BYTES.
 */
export function sbomFileWanted(path: string): boolean | number {
  return isPackageDb(path) || isOwnershipDb(path) || isPythonMetadata(path) || OS_RELEASE.includes(path)
    ? true
    : COPYRIGHT.test(path)
      ? MAX_COPYRIGHT_BYTES
      : false;
}

/** The OS release file of a read file system, from either place it may be. */
export function osReleaseOf(contents: ReadonlyMap<string, Buffer>): Buffer | undefined {
  return OS_RELEASE.map((p) => contents.get(p)).find((b) => b !== undefined);
}

export async function imageSbomModel(ref: string, options: ImageSbomOptions = {}): Promise<SbomModel> {
  const image = await openImage(ref, { arch: options.arch });
  const fs = await readFilesystem(image, {
    origin: ref,
    want: sbomFileWanted,
    // Which files a package owns is known only once every layer is read, so every file is hashed on the way.
    hash: () => true,
  });
  const osRelease = osReleaseOf(fs.contents);
  const config = image.config as { created?: string; architecture?: string };
  const installed = installedPackages(fs);
  const names = new Set(installed.map((p) => p.name));
  const files = imageFiles(fs, names);
  const python = pythonPackages(fs);
  const pythonFiles = new Set(python.flatMap((p) => p.files ?? []));
  return sbomModelFromInstalled(
    {
      name: ref,
      digest: image.manifestDigest,
      created: config.created ?? "1970-01-01T00:00:00Z",
      arch: config.architecture ?? options.arch ?? "unknown",
    },
    installed,
    distroOf(osRelease?.toString("utf8") ?? ""),
    {
      // apk records an SPDX licence itself; only dpkg packages need their copyright file.
      licenses: packageLicenses(
        fs,
        installed.filter((p) => p.manager === "dpkg").map((p) => p.name),
      ),
      packageFiles: options.files ? files.packageFiles : undefined,
      // A file a Python distribution's RECORD lists is that distribution's, not the user's.
      unowned: files.unowned.filter((f) => !pythonFiles.has(f.path)),
      python: python.map((p) => pythonFact(fs, p, options.files === true)),
    },
  );
}

/** One Python distribution for the model: its licence, and its files with their checksums where asked. */
function pythonFact(fs: ImageFilesystem, p: PythonPackage, withFiles: boolean): PythonSbomPackage {
  const fact: PythonSbomPackage = { name: p.name, version: p.version };
  const license = pythonLicense(p);
  if (license !== undefined) fact.license = license;
  if (p.installer !== undefined) fact.installer = p.installer;
  if (withFiles && p.files !== undefined) {
    const files: SbomFile[] = [];
    for (const path of new Set(p.files)) {
      const digest = fs.digests.get(path);
      if (digest !== undefined && fs.files.get(path)?.type === "file") files.push({ path, ...digest });
    }
    fact.files = files;
  }
  return fact;
}

/**
 * Each package's licence from /usr/share/doc/NAME/copyright, following a
 * doc directory that is a link to another package's (`libfoo1 → libfoo-common`).
 */
export function packageLicenses(
  fs: ImageFilesystem,
  names: readonly string[],
): Map<string, CopyrightLicense> {
  const out = new Map<string, CopyrightLicense>();
  for (const name of names) {
    let dir = `/usr/share/doc/${name}`;
    const info = fs.files.get(dir);
    if (info?.type === "symlink" && info.linkname !== undefined) {
      dir = posix.resolve(posix.dirname(dir), info.linkname);
    }
    const text = fs.contents.get(`${dir}/copyright`);
    if (text === undefined) continue;
    const license = copyrightLicense(text.toString("utf8"));
    if (license !== undefined) out.set(name, license);
  }
  return out;
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
