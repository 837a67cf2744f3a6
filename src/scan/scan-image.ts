// Scanning an image: read its dpkg database and os-release in one pass over
// its layers, load the local vulnerability database for its release, match.

import { CudasealError, inStage } from "../errors.ts";
import { distroOf } from "../sbom/image-sbom.ts";
import { readFilesystem } from "../source/filesystem.ts";
import { openImage } from "../source/image-source.ts";
import { installedPackageRecords, isPackageDb } from "../source/packages.ts";
import { loadDatabase } from "./database.ts";
import { debianCodename } from "./debian-release.ts";
import { matchFindings } from "./match.ts";
import { recordKey, type ScanResult } from "./report.ts";

const OS_RELEASE = ["/etc/os-release", "/usr/lib/os-release"];

export interface ScanOptions {
  /** The vulnerability database: tracker JSON, OSV file, or a directory of OSV records. */
  db: string;
  arch?: string;
  /** The Debian release codename, overriding what os-release says. */
  release?: string;
}

/** The vulnerabilities of the dpkg packages installed in the image `ref`. */
export async function scanImage(ref: string, options: ScanOptions): Promise<ScanResult> {
  let records: ReturnType<typeof installedPackageRecords>;
  let osRelease: string;
  try {
    const image = await openImage(ref, { arch: options.arch });
    const fs = await readFilesystem(image, {
      origin: ref,
      want: (path) => isPackageDb(path) || OS_RELEASE.includes(path),
    });
    records = installedPackageRecords(fs).filter((r) => r.package.manager === "dpkg");
    osRelease = (OS_RELEASE.map((p) => fs.contents.get(p)).find((b) => b !== undefined) ?? "").toString();
  } catch (err) {
    throw inStage("read image", err);
  }
  const packages = records.map((r) => r.package);
  const distro = distroOf(osRelease);
  if (options.release === undefined && distro.id !== "debian") {
    throw new CudasealError("IMAGE_INVALID", `${ref} is ${distro.id}, not Debian`, {
      hint: "the Debian data only describes Debian; pass --release CODENAME to match anyway",
    });
  }
  const release = options.release ?? debianCodename(osRelease);
  if (release === undefined) {
    throw new CudasealError("IMAGE_INVALID", `cannot tell which Debian release ${ref} is`, {
      hint: "its os-release names no VERSION_CODENAME or known VERSION_ID: pass --release CODENAME",
    });
  }
  let db: Awaited<ReturnType<typeof loadDatabase>>;
  try {
    db = await loadDatabase(options.db, { release });
  } catch (err) {
    throw inStage("load vulnerability database", err);
  }
  return {
    image: ref,
    release,
    packages: packages.length,
    findings: matchFindings(packages, db.advisories, release),
    records: new Map(records.map((r) => [recordKey(r.package.name, r.package.version), r.path.slice(1)])),
  };
}
