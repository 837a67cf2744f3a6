// Comparing images: read each once (its layers, dpkg/apk databases and
// os-release), collect its numbers, and, given a vulnerability database,
// match its Debian packages the way `cudaseal scan` does.

import { CudasealError, inStage } from "../errors.ts";
import { type LoadedDatabase, loadDatabase } from "../scan/database.ts";
import { debianCodename } from "../scan/debian-release.ts";
import { matchFindings } from "../scan/match.ts";
import { readFilesystem } from "../source/filesystem.ts";
import { openImage } from "../source/image-source.ts";
import { installedPackages, isPackageDb } from "../source/packages.ts";
import { type ImageStats, imageStats } from "./image-stats.ts";

const OS_RELEASE = ["/etc/os-release", "/usr/lib/os-release"];

export interface CompareOptions {
  /** A vulnerability database, as `cudaseal scan --db` takes; CVEs are counted only with one. */
  db?: string;
  arch?: string;
}

/** The numbers of each image in `refs`, in order. */
export async function compareImages(
  refs: readonly string[],
  options: CompareOptions = {},
): Promise<ImageStats[]> {
  if (refs.length < 2) throw new CudasealError("USAGE", "name two images to compare");
  let db: LoadedDatabase | undefined;
  if (options.db !== undefined) {
    try {
      db = await loadDatabase(options.db);
    } catch (err) {
      throw inStage("load vulnerability database", err);
    }
  }
  const out: ImageStats[] = [];
  for (const ref of refs) {
    try {
      const image = await openImage(ref, { arch: options.arch });
      const fs = await readFilesystem(image, {
        origin: ref,
        want: (path) => isPackageDb(path) || OS_RELEASE.includes(path),
      });
      const packages = installedPackages(fs);
      const osRelease = (
        OS_RELEASE.map((p) => fs.contents.get(p)).find((b) => b !== undefined) ?? ""
      ).toString();
      const release = debianCodename(osRelease);
      const findings =
        db === undefined || release === undefined
          ? undefined
          : matchFindings(
              packages.filter((p) => p.manager === "dpkg"),
              db.advisories,
              release,
            );
      out.push(imageStats(ref, image, fs, packages, findings));
    } catch (err) {
      throw inStage(`read ${ref}`, err);
    }
  }
  return out;
}
