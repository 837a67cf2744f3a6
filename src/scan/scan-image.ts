// Scanning an image: read its dpkg database, its Python distributions'
// metadata and os-release in one pass over its layers, open the
// vulnerability database for its release (a local file, or the tracker's
// feed kept in the cache), match the Debian packages against its Debian
// advisories and the Python distributions against its PyPI ones (a local
// OSV database), then take out what VEX
// statements and the ignore file suppress. VEX and ignore files are read
// first, so a mistake in them fails before any download.

import { CudasealError, inStage } from "../errors.ts";
import { distroOf } from "../sbom/index.ts";
import { openImage } from "../source/image-source.ts";
import type { PackageRecord } from "../source/packages.ts";
import type { PythonPackage } from "../source/python-packages.ts";
import { debianCodename } from "./debian-release.ts";
import { type IgnoreEntry, loadIgnoreFile } from "./ignore-file.ts";
import { readImagePackages } from "./image-packages.ts";
import { compareFindings, matchFindings } from "./match.ts";
import { matchPythonFindings } from "./python-match.ts";
import { recordKey, type ScanResult } from "./report.ts";
import { suppressFindings } from "./suppress.ts";
import { loadVex, type VexStatement } from "./vex.ts";
import { type DatabaseOptions, openVulnerabilityDatabase } from "./vulnerability-db.ts";

export interface ScanOptions extends DatabaseOptions {
  arch?: string;
  /** The Debian release codename, overriding what os-release says. */
  release?: string;
  /** OpenVEX documents whose not_affected and fixed statements suppress findings. */
  vex?: readonly string[];
  /** An ignore file (ignore-file.ts). */
  ignoreFile?: string;
  /** The clock, for ignore-file expiry and the data's age. */
  now?: () => Date;
}

/** The vulnerabilities of the dpkg packages and Python distributions installed in the image `ref`. */
export async function scanImage(ref: string, options: ScanOptions): Promise<ScanResult> {
  const now = options.now ?? (() => new Date());
  const vex: VexStatement[] = [];
  for (const file of options.vex ?? []) vex.push(...(await loadVex(file)));
  const ignores: IgnoreEntry[] = options.ignoreFile ? await loadIgnoreFile(options.ignoreFile) : [];

  let records: PackageRecord[];
  let python: PythonPackage[];
  let osRelease: string;
  let digest: string;
  let indexDigest: string | undefined;
  try {
    const image = await openImage(ref, { arch: options.arch });
    digest = image.manifestDigest;
    indexDigest = image.indexDigest;
    ({ records, python, osRelease } = await readImagePackages(image, ref));
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
  const db = await openVulnerabilityDatabase(
    { db: options.db, feed: options.feed && { now, ...options.feed } },
    release,
  );
  const matched = [
    ...matchFindings(packages, db.advisories, release),
    ...matchPythonFindings(python, db.advisories),
  ].sort(compareFindings);
  const { findings, suppressed, expired } = suppressFindings(matched, {
    vex,
    ignores,
    digest,
    indexDigest,
    today: now().toISOString().slice(0, 10),
  });
  const warnings = [
    ...db.warnings,
    ...expired.map(
      (e) =>
        `${e.file}: the entry for ${e.id}${e.package ? ` (${e.package})` : ""} expired on ${e.expires} and no longer suppresses it`,
    ),
  ];
  return {
    image: ref,
    digest,
    ...(indexDigest === undefined ? {} : { indexDigest }),
    release,
    packages: packages.length,
    ...(python.length > 0 ? { pythonPackages: python.length } : {}),
    findings,
    suppressed,
    expiredIgnores: expired,
    database: db.info,
    warnings,
    records: new Map([
      ...records.map((r): [string, string] => [
        recordKey(r.package.name, r.package.version),
        r.path.slice(1),
      ]),
      ...python.map((p): [string, string] => [recordKey(p.name, p.version), p.metadataPath.slice(1)]),
    ]),
  };
}
