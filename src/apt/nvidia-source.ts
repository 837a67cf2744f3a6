// NVIDIA's CUDA apt repository as a built-in source (`sources: [nvidia-cuda]`).
//
// NVIDIA publishes flat repositories, one folder per distribution and
// architecture: `<base>/debian13/x86_64/` holds InRelease, Packages and the
// .debs side by side, read by apt as `deb <base>/debian13/x86_64/ /`. amd64
// lives in `x86_64`, arm64 in `sbsa`. Each folder becomes one AptSource
// restricted to its architecture, so a build reads only the folders of the
// architectures it builds.
//
// No download host is written here: the base comes from the spec entry's
// `url:`, the --nvidia-mirror flag, or an NVIDIA entry already in the
// machine's apt sources, in that order. The signature is checked exactly as
// for Debian, against the NVIDIA keys shipped in keys/ unless the entry names
// its own keyring.

import { CudasealError } from "../errors.ts";
import type { AptPin } from "./pins.ts";
import { type AptSource, DEFAULT_ARCHES, trimSlash } from "./sources.ts";
import type { SystemEntry } from "./system-sources.ts";

/** The trees NVIDIA publishes CUDA for. */
export const NVIDIA_DISTRIBUTIONS: readonly string[] = [
  "debian11",
  "debian12",
  "debian13",
  "ubuntu2004",
  "ubuntu2204",
  "ubuntu2404",
];

export const DEFAULT_NVIDIA_DISTRIBUTION = "debian13";

/** NVIDIA's folder for each Debian architecture. */
const ARCH_DIRS: Readonly<Record<string, string>> = { amd64: "x86_64", arm64: "sbsa" };

const DISTRIBUTION = /^(debian\d+|ubuntu\d{4})$/;

export interface NvidiaSourceOptions {
  /** NVIDIA's tree (`debian12`); default debian13. */
  distribution?: string;
  /** The spec entry's `url:`: the folder holding the distributions, or one distribution's folder. */
  url?: string;
  /** --nvidia-mirror, used when the entry has no `url:`. */
  mirror?: string;
  /** The machine's apt entries, searched for an NVIDIA repository last. */
  system?: readonly SystemEntry[];
  /** Architectures to make sources for; default amd64 and arm64. */
  arches?: readonly string[];
  /** Keys that must sign it; default NVIDIA's shipped keys. */
  keyring?: AptSource["keyring"];
  priority?: number;
  pins?: readonly AptPin[];
  allowExpired?: boolean;
}

/** One flat AptSource per architecture of NVIDIA's tree for a distribution. */
export function nvidiaSources(options: NvidiaSourceOptions = {}): AptSource[] {
  const named = options.url ?? options.mirror;
  const found = named === undefined ? systemNvidiaRepository(options.system ?? []) : undefined;
  const base = named ?? found?.base;
  if (base === undefined) {
    throw new CudasealError("NVIDIA_REPO_UNKNOWN", "no URL is known for NVIDIA's CUDA repository", {
      hint:
        "name it in the spec (sources: [{name: nvidia-cuda, url: URL}]) or with --nvidia-mirror URL: " +
        "the folder that holds debian12/, debian13/, ubuntu2404/…, as NVIDIA's CUDA installation guide gives it",
    });
  }
  const { root, distribution: inUrl } = splitBase(base);
  const distribution = checkDistribution(options.distribution ?? inUrl ?? found?.distribution, inUrl, base);
  return (options.arches ?? DEFAULT_ARCHES).map((arch) => {
    const dir = ARCH_DIRS[arch];
    if (dir === undefined) {
      throw new CudasealError("NVIDIA_REPO_UNKNOWN", `NVIDIA publishes no CUDA repository for ${arch}`, {
        hint: `build for ${Object.keys(ARCH_DIRS).join(" or ")} (--arch)`,
        details: { arch },
      });
    }
    const source: AptSource = {
      uri: root,
      suites: [`${distribution}/${dir}/`],
      components: [],
      arches: [arch],
      keyring: options.keyring ?? ["nvidia"],
      priority: options.priority ?? 500,
    };
    if (options.pins?.length) source.pins = [...options.pins];
    if (options.allowExpired) source.allowExpired = true;
    return source;
  });
}

/**
 * An NVIDIA CUDA repository among the machine's apt entries: a flat entry
 * whose folder is `.../compute/cuda/repos/<distribution>/<arch-dir>/`.
 */
export function systemNvidiaRepository(
  entries: readonly SystemEntry[],
): { base: string; distribution: string } | undefined {
  for (const entry of entries) {
    if (!/^https?:\/\//.test(entry.uri)) continue;
    for (const suite of entry.suites) {
      // `deb URL/debian12/x86_64/ /`, or deb822 with the path in Suites.
      const path = suite === "/" || suite === "./" ? entry.uri : `${trimSlash(entry.uri)}/${suite}`;
      const m = /^(.*\/compute\/cuda\/repos)\/(debian\d+|ubuntu\d{4})\/[a-z0-9_-]+\/*$/.exec(path);
      if (m) return { base: m[1], distribution: m[2] };
    }
  }
  return undefined;
}

/** The folder holding the distributions, and the distribution the URL already ends in, if any. */
function splitBase(url: string): { root: string; distribution?: string } {
  if (!/^https?:\/\/[^/]/.test(url)) {
    throw new CudasealError("NVIDIA_REPO_UNKNOWN", `not an http(s) URL for NVIDIA's repository: ${url}`, {
      hint: "give the URL of the folder that holds debian13/, ubuntu2404/…",
      details: { url },
    });
  }
  const parts = trimSlash(url).split("/");
  // `<base>/debian12/x86_64` and `<base>/debian12` name the same tree.
  if (
    parts.length > 4 &&
    Object.values(ARCH_DIRS).includes(parts.at(-1)!) &&
    DISTRIBUTION.test(parts.at(-2)!)
  ) {
    parts.pop();
  }
  if (parts.length > 3 && DISTRIBUTION.test(parts.at(-1)!)) {
    const distribution = parts.pop();
    return { root: parts.join("/"), distribution };
  }
  return { root: parts.join("/") };
}

function checkDistribution(wanted: string | undefined, inUrl: string | undefined, url: string): string {
  const distribution = wanted ?? DEFAULT_NVIDIA_DISTRIBUTION;
  if (!DISTRIBUTION.test(distribution) || !NVIDIA_DISTRIBUTIONS.includes(distribution)) {
    throw new CudasealError(
      "NVIDIA_REPO_UNKNOWN",
      `NVIDIA publishes no CUDA repository for ${distribution}`,
      {
        hint: `choose one of ${NVIDIA_DISTRIBUTIONS.join(", ")} (distribution: in the nvidia-cuda source)`,
        details: { distribution, known: [...NVIDIA_DISTRIBUTIONS] },
      },
    );
  }
  if (inUrl !== undefined && inUrl !== distribution) {
    throw new CudasealError(
      "NVIDIA_REPO_UNKNOWN",
      `the URL ${url} names ${inUrl}, but the source asks for ${distribution}`,
      {
        hint: "give the folder holding the distributions as url:, or drop distribution:",
        details: { url, distribution, inUrl },
      },
    );
  }
  return distribution;
}
