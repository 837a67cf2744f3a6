// The installed packages of any image, read from its final file system:
// dpkg's status file (only `install ok installed` counts), the one-paragraph
// files distroless images keep under status.d instead, and apk's installed
// database (Alpine, Wolfi). Read with readFilesystem({ want: isPackageDb }).

import { parseDeb822 } from "../deb/deb822.ts";
import { CudasealError } from "../errors.ts";
import type { ImageFilesystem } from "./filesystem.ts";

/** One installed package. */
export interface InstalledPackage {
  name: string;
  version: string;
  arch: string;
  /** The source package, where it differs from or is named beside the binary. */
  source?: string;
  sourceVersion?: string;
  /** The licence apk records (`L:`); dpkg keeps none in its database. */
  license?: string;
  manager: "dpkg" | "apk";
}

const DPKG_STATUS = "/var/lib/dpkg/status";
const STATUS_D = "/var/lib/dpkg/status.d/";
const APK_INSTALLED = "/lib/apk/db/installed";

/** True for the files packages are read from: pass as `want` to readFilesystem. */
export function isPackageDb(path: string): boolean {
  return (
    path === DPKG_STATUS ||
    path === APK_INSTALLED ||
    (path.startsWith(STATUS_D) && !path.slice(STATUS_D.length).includes("/") && !path.endsWith(".md5sums"))
  );
}

/** The packages installed in `fs`, sorted by name, architecture, version, manager. */
export function installedPackages(fs: ImageFilesystem): InstalledPackage[] {
  return installedPackageRecords(fs).map((r) => r.package);
}

/** An installed package and the database file that records it (`/var/lib/dpkg/status`). */
export interface PackageRecord {
  package: InstalledPackage;
  path: string;
}

/** installedPackages, each with the file it was read from. */
export function installedPackageRecords(fs: ImageFilesystem): PackageRecord[] {
  const found: PackageRecord[] = [];
  for (const path of [...fs.contents.keys()].sort()) {
    if (!isPackageDb(path) || fs.files.get(path)?.type !== "file") continue;
    const text = fs.contents.get(path)?.toString("utf8") ?? "";
    const packages =
      path === APK_INSTALLED ? apkPackages(text) : dpkgPackages(text, path, path === DPKG_STATUS);
    for (const p of packages) found.push({ package: p, path });
  }
  for (const path of fs.tooLarge) {
    if (isPackageDb(path))
      throw new CudasealError("IMAGE_INVALID", `${path} is too large to read`, { details: { path } });
  }
  const seen = new Set<string>();
  const unique = found.filter(({ package: p }) => {
    const key = `${p.manager}\0${p.name}\0${p.arch}\0${p.version}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.sort(
    ({ package: a }, { package: b }) =>
      cmp(a.name, b.name) || cmp(a.arch, b.arch) || cmp(a.version, b.version) || cmp(a.manager, b.manager),
  );
}

/** dpkg paragraphs; the status file must say installed, status.d files may leave Status out. */
function dpkgPackages(text: string, path: string, needStatus: boolean): InstalledPackage[] {
  let paragraphs: ReturnType<typeof parseDeb822>;
  try {
    paragraphs = parseDeb822(text, { source: path });
  } catch (err) {
    throw new CudasealError("IMAGE_INVALID", `${path} is not a valid dpkg database`, { cause: err });
  }
  const out: InstalledPackage[] = [];
  for (const p of paragraphs) {
    const status = p.get("Status");
    if (status === undefined ? needStatus : status.trim().split(/\s+/).join(" ") !== "install ok installed")
      continue;
    const name = p.get("Package");
    const version = p.get("Version");
    if (name === undefined || version === undefined) continue;
    const pkg: InstalledPackage = { name, version, arch: p.get("Architecture") ?? "", manager: "dpkg" };
    // `Source: NAME` or `Source: NAME (VERSION)` when the source version differs.
    const m = /^(\S+)(?:\s+\((\S+)\))?$/.exec(p.get("Source")?.trim() ?? "");
    if (m) {
      pkg.source = m[1];
      pkg.sourceVersion = m[2] ?? version;
    }
    out.push(pkg);
  }
  return out;
}

/** apk's installed db: blank-line separated records of `X:value` lines. */
function apkPackages(text: string): InstalledPackage[] {
  const out: InstalledPackage[] = [];
  for (const record of text.split(/\n\s*\n/)) {
    const f = new Map<string, string>();
    for (const line of record.split("\n")) {
      const at = line.indexOf(":");
      // Only a record's first value counts: later ones (F:, R:) repeat per file.
      if (at === 1 && !f.has(line[0])) f.set(line[0], line.slice(2));
    }
    const name = f.get("P");
    const version = f.get("V");
    if (name === undefined || version === undefined) continue;
    const pkg: InstalledPackage = { name, version, arch: f.get("A") ?? "", manager: "apk" };
    const license = f.get("L");
    if (license !== undefined) pkg.license = license;
    const origin = f.get("o");
    if (origin !== undefined) {
      pkg.source = origin;
      pkg.sourceVersion = version;
    }
    out.push(pkg);
  }
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
