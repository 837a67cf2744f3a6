// What one image holds, for putting images side by side: sizes, layers,
// packages, Python distributions, files, and the things a hardened image should not carry (setuid
// files, shells, package managers, a root user). A pure function of what the
// image reader gives, so any transport compares the same way.

import { type Finding, type Severity, severityCounts } from "../scan/index.ts";
import type { ImageFilesystem } from "../source/filesystem.ts";
import type { OpenedImage } from "../source/image-source.ts";
import type { InstalledPackage } from "../source/packages.ts";
import type { PythonPackage } from "../source/python-packages.ts";
import { cudaLibraryPackages } from "./cuda-libraries.ts";

/** One image's numbers. */
export interface ImageStats {
  image: string;
  /** Sum of the stored (compressed) layer sizes the manifest gives. */
  compressedSize: number;
  /** Sum of the regular file sizes in the final file system. */
  uncompressedSize: number;
  layers: number;
  packages: number;
  /** Python distributions in site-packages that no OS package owns (source/python-packages.ts). */
  pythonPackages: number;
  /** Regular files in the final file system. */
  files: number;
  /** Regular files with the setuid or setgid bit, sorted. */
  setuidFiles: string[];
  /** Shell paths present, sorted. */
  shells: string[];
  /** Package managers present (apt, dpkg, apk, pip), sorted. */
  packageManagers: string[];
  /** The user the image runs as; `root` when the config names none. */
  user: string;
  /** Findings by severity; absent when no database was given or the release is unknown. */
  cves?: Record<Severity, number>;
  /**
   * CUDA library packages (CUDA, cuDNN, NCCL, cuTENSOR, TensorRT: by source
   * package or by the libraries they ship, cuda-libraries.ts) with their versions, sorted by name.
   */
  cudaLibraries: { name: string; version: string }[];
}

const BIN_DIRS = ["/bin", "/sbin", "/usr/bin", "/usr/sbin"];
const SHELLS = ["sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "busybox"];
const PACKAGE_MANAGERS: Readonly<Record<string, readonly string[]>> = {
  apt: ["apt", "apt-get"],
  dpkg: ["dpkg"],
  apk: ["apk"],
  pip: ["pip", "pip3"],
};
const SET_ID = 0o6000;

/** The numbers of one image from its opened manifest, final file system, packages and Python distributions. */
export function imageStats(
  ref: string,
  image: OpenedImage,
  fs: ImageFilesystem,
  packages: readonly InstalledPackage[],
  python: readonly PythonPackage[],
  findings?: readonly Finding[],
): ImageStats {
  let files = 0;
  let uncompressedSize = 0;
  const setuidFiles: string[] = [];
  for (const [path, info] of fs.files) {
    if (info.type !== "file") continue;
    files++;
    uncompressedSize += info.size;
    if ((info.mode & SET_ID) !== 0) setuidFiles.push(path);
  }
  const present = (name: string) =>
    BIN_DIRS.map((d) => `${d}/${name}`).filter((p) => {
      const t = fs.files.get(p)?.type;
      return t !== undefined && t !== "directory";
    });
  const runtime = image.config.config;
  const user =
    typeof runtime === "object" &&
    runtime !== null &&
    typeof (runtime as { User?: unknown }).User === "string"
      ? (runtime as { User: string }).User
      : "";
  const stats: ImageStats = {
    image: ref,
    compressedSize: image.layers.reduce((n, l) => n + l.size, 0),
    uncompressedSize,
    layers: image.layers.length,
    packages: packages.length,
    pythonPackages: python.length,
    files,
    setuidFiles: setuidFiles.sort(),
    shells: SHELLS.flatMap(present).sort(),
    packageManagers: Object.keys(PACKAGE_MANAGERS)
      .filter((m) => PACKAGE_MANAGERS[m].some((bin) => present(bin).length > 0))
      .sort(),
    user: user === "" ? "root" : user,
    cudaLibraries: cudaLibraryPackages(packages, fs)
      .map((p) => ({ name: p.name, version: p.version }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
  if (findings !== undefined) stats.cves = severityCounts(findings);
  return stats;
}
