// Which files of an image are each package's (source/file-owners.ts reads
// what the package managers record) and which are no package's.
//
// Files no package owns are the image's own contents, but for what a build
// or a package manager generates rather than ships: GENERATED_FILES and
// GENERATED_TREES name those (the accounts, the CA bundle, os-release, the
// package databases and caches), and they are reported as neither.

import { posix } from "node:path";
import { fileOwners } from "../source/file-owners.ts";
import type { ImageFilesystem } from "../source/filesystem.ts";
import type { SbomFile } from "./model.ts";

/**
 * Files the build writes rather than a package ships (cudaseal's system
 * layer: src/assemble), or that maintainer scripts and tools regenerate in
 * any Debian or Alpine image.
 */
export const GENERATED_FILES: ReadonlySet<string> = new Set([
  "/etc/passwd",
  "/etc/passwd-",
  "/etc/group",
  "/etc/group-",
  "/etc/shadow",
  "/etc/shadow-",
  "/etc/gshadow",
  "/etc/gshadow-",
  "/etc/subuid",
  "/etc/subgid",
  "/etc/nsswitch.conf",
  "/etc/ssl/certs/ca-certificates.crt",
  "/etc/os-release",
  "/usr/lib/os-release",
  "/etc/debian_version",
  "/etc/ld.so.cache",
  // libc-bin's, written by the build where no package ships them (assemble/loader-config.ts).
  "/etc/ld.so.conf",
  "/etc/ld.so.conf.d/libc.conf",
  "/etc/hostname",
  "/etc/hosts",
  "/etc/resolv.conf",
  "/etc/machine-id",
  "/etc/mtab",
  "/etc/timezone",
  "/etc/localtime",
]);

/** Trees of package-manager state, caches and logs. */
export const GENERATED_TREES: readonly string[] = [
  "/var/lib/dpkg/",
  "/var/lib/apt/",
  "/var/cache/",
  "/var/log/",
  "/lib/apk/db/",
  "/usr/lib/apk/db/",
  "/etc/apk/",
  "/etc/ssl/certs/",
  "/etc/alternatives/",
];

/** True when the build or a package manager made `path` (GENERATED_FILES, GENERATED_TREES). */
export function isGenerated(path: string): boolean {
  return GENERATED_FILES.has(path) || GENERATED_TREES.some((dir) => path.startsWith(dir));
}

/** The image's regular files split into each package's and those no package owns (generated ones dropped). */
export interface ImageFiles {
  packageFiles: Map<string, SbomFile[]>;
  unowned: SbomFile[];
}

/**
 * Every regular file of `fs` (hard links included, with their target's
 * checksums) that has checksums in `fs.digests`, given to the packages that
 * own it; `packages` names the packages the SBOM lists, so that a record of
 * a package not installed owns nothing.
 */
export function imageFiles(fs: ImageFilesystem, packages: ReadonlySet<string>): ImageFiles {
  const { owners, canonical } = fileOwners(fs, packages);
  const packageFiles = new Map<string, SbomFile[]>();
  const unowned: SbomFile[] = [];
  for (const [path, info] of fs.files) {
    if (info.type !== "file" && info.type !== "hardlink") continue;
    const digest =
      info.type === "file"
        ? fs.digests.get(path)
        : info.linkname === undefined
          ? undefined
          : fs.digests.get(posix.normalize(info.linkname));
    if (digest === undefined) continue;
    const file = { path, sha256: digest.sha256, sha1: digest.sha1 };
    const owning = owners.get(canonical(path));
    if (owning === undefined) {
      if (!isGenerated(path)) unowned.push(file);
      continue;
    }
    for (const name of owning) {
      let list = packageFiles.get(name);
      if (list === undefined) {
        list = [];
        packageFiles.set(name, list);
      }
      list.push(file);
    }
  }
  return { packageFiles, unowned };
}
