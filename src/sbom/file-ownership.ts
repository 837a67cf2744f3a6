// Which package owns each regular file of an image, from what the package
// managers record: dpkg's `info/NAME.list` (every path a package installed),
// the `NAME.md5sums` files of dpkg's info directory and of distroless's
// status.d (cudaseal's images keep those, filtered to the files shipped), the
// `Conffiles:` of dpkg's status and status.d records (md5sums leaves
// conffiles out), and apk's installed database (`F:` folder, `R:` file). Paths are compared in
// their merged-/usr form where the image's /bin, /lib, … are links into /usr,
// so `/lib/x86_64-linux-gnu/libc.so.6` in a list matches the file at
// `/usr/lib/x86_64-linux-gnu/libc.so.6`.
//
// Files no package owns are the image's own contents, but for what a build
// or a package manager generates rather than ships: GENERATED_FILES and
// GENERATED_TREES name those (the accounts, the CA bundle, os-release, the
// package databases and caches), and they are reported as neither.

import { posix } from "node:path";
import type { ImageFilesystem } from "../source/filesystem.ts";
import type { SbomFile } from "./model.ts";

const DPKG_STATUS = "/var/lib/dpkg/status";
const DPKG_INFO = "/var/lib/dpkg/info/";
const STATUS_D = "/var/lib/dpkg/status.d/";
const APK_INSTALLED = "/lib/apk/db/installed";

/** Directories merged /usr folds into /usr. */
const MERGED_USR = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

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

/** True for the files ownership is read from: pass (with isPackageDb) as `want` to readFilesystem. */
export function isOwnershipDb(path: string): boolean {
  if (path === APK_INSTALLED) return true;
  for (const dir of [DPKG_INFO, STATUS_D]) {
    if (!path.startsWith(dir)) continue;
    const name = path.slice(dir.length);
    if (name.includes("/")) return false;
    return name.endsWith(".md5sums") || (dir === DPKG_INFO && name.endsWith(".list"));
  }
  return false;
}

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
  const canonical = mergedUsr(fs);
  const owners = fileOwners(fs, packages, canonical);
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

/** canonical path → names of the packages that own it. */
function fileOwners(
  fs: ImageFilesystem,
  packages: ReadonlySet<string>,
  canonical: (path: string) => string,
): Map<string, Set<string>> {
  const owners = new Map<string, Set<string>>();
  const own = (name: string, path: string) => {
    if (!packages.has(name)) return;
    const key = canonical(posix.normalize(`/${path}`));
    let set = owners.get(key);
    if (set === undefined) {
      set = new Set();
      owners.set(key, set);
    }
    set.add(name);
  };
  for (const [path, body] of fs.contents) {
    if (path === DPKG_STATUS || (path.startsWith(STATUS_D) && !path.endsWith(".md5sums"))) {
      conffileOwnership(body.toString("utf8"), own);
      continue;
    }
    if (!isOwnershipDb(path)) continue;
    const text = body.toString("utf8");
    if (path === APK_INSTALLED) {
      apkOwnership(text, own);
      continue;
    }
    // `libc6:amd64.list`, `libc6.md5sums`: the package is the name before `:` and the suffix.
    const name = posix
      .basename(path)
      .replace(/\.(list|md5sums)$/, "")
      .split(":")[0];
    for (const line of text.split("\n")) {
      if (path.endsWith(".list")) {
        if (line.startsWith("/")) own(name, line);
      } else {
        const m = /^[0-9a-f]{32} [ *]?(.+)$/.exec(line);
        if (m) own(name, m[1]);
      }
    }
  }
  return owners;
}

/** The `Conffiles:` lines (` /etc/x.conf <md5>`) of each paragraph of a dpkg status file or status.d record. */
function conffileOwnership(text: string, own: (name: string, path: string) => void): void {
  for (const paragraph of text.split(/\n[ \t]*\n/)) {
    const name = /^Package:[ \t]*(\S+)/im.exec(paragraph)?.[1];
    const block = /^Conffiles:[^\n]*((?:\n[ \t][^\n]*)*)/im.exec(paragraph)?.[1];
    if (name === undefined || block === undefined) continue;
    for (const line of block.split("\n")) {
      const path = line.trim().split(/\s+/)[0];
      if (path?.startsWith("/")) own(name, path);
    }
  }
}

/** apk's installed database: `P:` starts a package, `F:` a folder, `R:` a file in the last folder. */
function apkOwnership(text: string, own: (name: string, path: string) => void): void {
  let name: string | undefined;
  let folder = "";
  for (const line of text.split("\n")) {
    if (line === "") {
      name = undefined;
      folder = "";
    } else if (line.startsWith("P:")) name = line.slice(2);
    else if (line.startsWith("F:")) folder = line.slice(2);
    else if (line.startsWith("R:") && name !== undefined) own(name, `${folder}/${line.slice(2)}`);
  }
}

/**
 * Maps a path through the image's merged-/usr links (`/lib` → `usr/lib`),
 * for the directories that are such links in this image.
 */
function mergedUsr(fs: ImageFilesystem): (path: string) => string {
  const merged = MERGED_USR.filter((dir) => {
    const info = fs.files.get(dir);
    return info?.type === "symlink" && info.linkname?.replace(/^\/+/, "") === `usr${dir}`;
  });
  if (merged.length === 0) return (path) => path;
  return (path) => {
    for (const dir of merged) {
      if (path === dir || path.startsWith(`${dir}/`)) return `/usr${path}`;
    }
    return path;
  };
}
