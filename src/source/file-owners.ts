// Which package owns each path of an image, from what the package managers
// record: dpkg's `info/NAME.list` (every path a package installed), the
// `NAME.md5sums` files of dpkg's info directory and of distroless's
// status.d (cudaseal's images keep those, filtered to the files shipped), the
// `Conffiles:` of dpkg's status and status.d records (md5sums leaves
// conffiles out), and apk's installed database (`F:` folder, `R:` file).
// Paths are compared in their merged-/usr form where the image's /bin, /lib,
// … are links into /usr, so `/lib/x86_64-linux-gnu/libc.so.6` in a list
// matches the file at `/usr/lib/x86_64-linux-gnu/libc.so.6`. Read with
// readFilesystem({ want: (p) => isPackageDb(p) || isOwnershipDb(p) }).

import { posix } from "node:path";
import type { ImageFilesystem } from "./filesystem.ts";

const DPKG_STATUS = "/var/lib/dpkg/status";
const DPKG_INFO = "/var/lib/dpkg/info/";
const STATUS_D = "/var/lib/dpkg/status.d/";
const APK_INSTALLED = "/lib/apk/db/installed";

/** Directories merged /usr folds into /usr. */
const MERGED_USR = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

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

/** Who owns what: look paths up through `canonical` first. */
export interface FileOwners {
  /** canonical path → names of the packages that own it. */
  owners: Map<string, Set<string>>;
  /** A path in the form `owners` is keyed by (merged /usr applied). */
  canonical: (path: string) => string;
}

/**
 * The owners of every path the package databases of `fs` record; with
 * `packages`, only those packages count, so that a record of a package not
 * installed owns nothing.
 */
export function fileOwners(fs: ImageFilesystem, packages?: ReadonlySet<string>): FileOwners {
  const canonical = mergedUsr(fs);
  const owners = new Map<string, Set<string>>();
  const own = (name: string, path: string) => {
    if (packages !== undefined && !packages.has(name)) return;
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
  return { owners, canonical };
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
