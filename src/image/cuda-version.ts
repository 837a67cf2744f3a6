// The CUDA version an image carries, read from the packages actually
// installed, so NVIDIA_REQUIRE_CUDA makes the container toolkit refuse a host
// driver too old for it.

import type { LockedPackage } from "../apt/types.ts";

/** Packages whose version carries the CUDA toolkit version (`12.4.127~12.4.1-2` → 12.4). */
const RUNTIME_PACKAGES = [/^libcudart\d+$/, /^cuda-cudart-\d+-\d+$/, /^cuda-runtime-\d+-\d+$/];

/** NVIDIA's names carry the toolkit version themselves: cuda-cudart-12-8 is CUDA 12.8. */
const NVIDIA_NAME = /^cuda-(cudart|runtime)-(\d+)-(\d+)$/;

export interface CudaVersion {
  major: number;
  minor: number;
  /** The full toolkit version when known, e.g. 12.4.1. */
  full: string;
}

/** The CUDA version of the runtime installed; the highest when there are several. */
export function installedCudaVersion(packages: readonly LockedPackage[]): CudaVersion | undefined {
  let best: CudaVersion | undefined;
  for (const pkg of packages) {
    if (!RUNTIME_PACKAGES.some((re) => re.test(pkg.name))) continue;
    const version = runtimeVersion(pkg);
    if (!version) continue;
    // Of one CUDA version, the package naming the toolkit's update (12.8.1) wins.
    const same = best?.major === version.major && best.minor === version.minor;
    if (isNewer(version, best) || (same && version.full.length > best!.full.length)) best = version;
  }
  return best;
}

function isNewer(a: CudaVersion, b: CudaVersion | undefined): boolean {
  return !b || a.major > b.major || (a.major === b.major && a.minor > b.minor);
}

function runtimeVersion(pkg: LockedPackage): CudaVersion | undefined {
  const plain = /^(?:\d+:)?(\d+\.\d+(?:\.\d+)?)/.exec(pkg.version)?.[1];
  const named = NVIDIA_NAME.exec(pkg.name);
  if (named) {
    // NVIDIA: cuda-cudart-12-8 is 12.8.90-1, the runtime library's own
    // version; cuda-runtime-12-8 is 12.8.1-1, the toolkit's. The name decides
    // the CUDA version, the toolkit's version adds the update when it agrees.
    const [major, minor] = [Number(named[2]), Number(named[3])];
    const agrees = named[1] === "runtime" && plain?.startsWith(`${major}.${minor}.`);
    return { major, minor, full: agrees ? plain! : `${major}.${minor}` };
  }
  // Debian: `<component version>~<toolkit version>-<revision>`.
  const afterTilde = /~(\d+\.\d+(?:\.\d+)?)/.exec(pkg.version)?.[1];
  const full = afterTilde ?? plain;
  if (!full) return undefined;
  const [major, minor] = full.split(".").map(Number);
  return { major, minor, full };
}

/** The NVIDIA_REQUIRE_CUDA constraint for a CUDA version. */
export function requireCuda(version: CudaVersion): string {
  return `cuda>=${version.major}.${version.minor}`;
}
