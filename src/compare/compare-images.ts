// Comparing images: read each once (its layers, dpkg/apk databases, Python
// metadata and os-release) and collect its numbers; then, given where
// vulnerability data comes from, open it once for the Debian releases found
// and match each image's Debian packages and Python distributions the way
// `cudaseal scan` does. Images are read
// first so that no data is fetched when no image is Debian.

import { CudasealError, inStage } from "../errors.ts";
import {
  compareFindings,
  type DatabaseInfo,
  type DatabaseOptions,
  debianCodename,
  type Finding,
  matchFindings,
  matchPythonFindings,
  openVulnerabilityDatabases,
  severityCounts,
} from "../scan/index.ts";
import { isOwnershipDb } from "../source/file-owners.ts";
import { readFilesystem } from "../source/filesystem.ts";
import { openImage } from "../source/image-source.ts";
import { type InstalledPackage, installedPackages, isPackageDb } from "../source/packages.ts";
import { isPythonMetadata, type PythonPackage, pythonPackages } from "../source/python-packages.ts";
import { type ImageStats, imageStats } from "./image-stats.ts";

const OS_RELEASE = ["/etc/os-release", "/usr/lib/os-release"];

export interface CompareOptions {
  /**
   * Where vulnerability data comes from, as `cudaseal scan` takes it (a
   * local `db`, or the tracker's `feed`); CVEs are counted only with it.
   */
  database?: DatabaseOptions;
  arch?: string;
  /** The clock, for the data's age. */
  now?: () => Date;
}

/** The images side by side, and the vulnerability data they were matched against. */
export interface Comparison {
  /** Each image's numbers, in the order given. */
  images: ImageStats[];
  /** Where the vulnerability data came from; absent when none was opened. */
  database?: DatabaseInfo;
  /** Things that did not stop the comparison but should be seen. */
  warnings: string[];
}

/** The numbers of each image in `refs`, in order. */
export async function compareImages(
  refs: readonly string[],
  options: CompareOptions = {},
): Promise<Comparison> {
  if (refs.length < 2) throw new CudasealError("USAGE", "name two images to compare");
  const read: { stats: ImageStats; dpkg: InstalledPackage[]; python: PythonPackage[]; release?: string }[] =
    [];
  for (const ref of refs) {
    try {
      const image = await openImage(ref, { arch: options.arch });
      const fs = await readFilesystem(image, {
        origin: ref,
        want: (path) =>
          isPackageDb(path) || isOwnershipDb(path) || isPythonMetadata(path) || OS_RELEASE.includes(path),
      });
      const packages = installedPackages(fs);
      const python = pythonPackages(fs);
      const osRelease = (
        OS_RELEASE.map((p) => fs.contents.get(p)).find((b) => b !== undefined) ?? ""
      ).toString();
      read.push({
        stats: imageStats(ref, image, fs, packages, python),
        dpkg: packages.filter((p) => p.manager === "dpkg"),
        python,
        release: debianCodename(osRelease),
      });
    } catch (err) {
      throw inStage(`read ${ref}`, err);
    }
  }
  const releases = read.flatMap((r) => (r.release === undefined ? [] : [r.release]));
  if (options.database === undefined || releases.length === 0) {
    return { images: read.map((r) => r.stats), warnings: [] };
  }
  const feed = options.database.feed;
  const db = await openVulnerabilityDatabases(
    { ...options.database, feed: feed && { now: options.now, ...feed } },
    releases,
  );
  const images = read.map(({ stats, dpkg, python, release }) => {
    if (release === undefined) return stats;
    const advisories = db.advisories.get(release) ?? [];
    return withFindings(
      stats,
      [...matchFindings(dpkg, advisories, release), ...matchPythonFindings(python, advisories)].sort(
        compareFindings,
      ),
    );
  });
  return { images, database: db.info, warnings: db.warnings };
}

/** `stats` with its CVE counts, in the place imageStats gives them (before the CUDA libraries). */
function withFindings(stats: ImageStats, findings: readonly Finding[]): ImageStats {
  const { cudaLibraries, ...rest } = stats;
  return { ...rest, cves: severityCounts(findings), cudaLibraries };
}
