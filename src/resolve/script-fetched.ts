// Some packages are only a download script: their maintainer script fetches
// the real payload from the vendor at install time (Debian contrib's
// nvidia-cudnn fetches cuDNN; ttf-mscorefonts-installer fetches fonts). An
// image is assembled without running maintainer scripts, and with no network
// at run time, so such a package would install as an empty shell. The
// resolver refuses them and says what to use instead.
//
// Recognised by a table of known names, plus a heuristic for the rest: a
// package from contrib or non-free (where Debian puts packages that need
// something outside Debian) that is named `*-installer` or `*-downloader`,
// or that is tiny (under 100 KiB installed) and depends on wget or curl.

import type { PackageRecord } from "../apt/types.ts";

export interface Replacement {
  /** The package that ships the real files. */
  package: string;
  /** Where to find it. */
  repository: string;
}

/** Known download-script packages and the package that ships the payload instead. */
export const SCRIPT_FETCHED: ReadonlyMap<string, Replacement | undefined> = new Map([
  ["nvidia-cudnn", { package: "libcudnn9-cuda-12", repository: "NVIDIA's CUDA apt repository" }],
  ["nvidia-tensorrt", { package: "libnvinfer10", repository: "NVIDIA's CUDA apt repository" }],
  ["ttf-mscorefonts-installer", undefined],
]);

const TINY_KIB = 100;
const DOWNLOADERS = new Set(["wget", "curl"]);

/** True when installing `pkg` without its maintainer scripts would leave out its payload. */
export function isScriptFetched(pkg: PackageRecord): boolean {
  if (SCRIPT_FETCHED.has(pkg.name)) return true;
  if (!isOutsideMain(pkg)) return false;
  if (/-(installer|downloader)$/.test(pkg.name)) return true;
  const tiny = pkg.installedSize !== undefined && pkg.installedSize < TINY_KIB;
  const downloads = [...pkg.preDepends, ...pkg.depends].some((group) =>
    group.some((relation) => DOWNLOADERS.has(relation.name)),
  );
  return tiny && downloads;
}

/** What to tell the user to do instead of installing `name`. */
export function scriptFetchedHint(name: string): string {
  const replacement = SCRIPT_FETCHED.get(name);
  if (replacement) {
    return (
      `${name} downloads its payload in a maintainer script, which an image build never runs; ` +
      `install ${replacement.package} from ${replacement.repository} instead (add it as a source and request it), ` +
      `and list ${name} under provided so that packages depending on it accept the replacement`
    );
  }
  return (
    `${name} downloads its payload in a maintainer script, which an image build never runs; ` +
    `install the files it would fetch from a package that ships them, or list ${name} under provided`
  );
}

function isOutsideMain(pkg: PackageRecord): boolean {
  const component = pkg.repo.component.split("/").pop() ?? "";
  const area = pkg.section?.includes("/") ? pkg.section.split("/")[0] : undefined;
  return ["contrib", "non-free"].includes(component) || ["contrib", "non-free"].includes(area ?? "");
}
