// The CUDA version an image carries, read from the packages actually
// installed, so NVIDIA_REQUIRE_CUDA makes the container toolkit refuse a host
// driver too old for it.

import type { LockedPackage } from "../apt/types.ts";

/** Packages whose version carries the CUDA toolkit version (`12.4.127~12.4.1-2` → 12.4). */
const RUNTIME_PACKAGES = [/^libcudart\d+$/, /^cuda-cudart-\d+-\d+$/, /^cuda-runtime-\d+-\d+$/];

export interface CudaVersion {
  major: number;
  minor: number;
  /** The full toolkit version when known, e.g. 12.4.1. */
  full: string;
}

export function installedCudaVersion(packages: readonly LockedPackage[]): CudaVersion | undefined {
  const runtime = packages.find((p) => RUNTIME_PACKAGES.some((re) => re.test(p.name)));
  if (!runtime) return undefined;
  // Debian: `<component version>~<toolkit version>-<revision>`; NVIDIA: `<toolkit version>-1`.
  const afterTilde = /~(\d+\.\d+(?:\.\d+)?)/.exec(runtime.version)?.[1];
  const plain = /^(?:\d+:)?(\d+\.\d+(?:\.\d+)?)/.exec(runtime.version)?.[1];
  const full = afterTilde ?? plain;
  if (!full) return undefined;
  const [major, minor] = full.split(".").map(Number);
  return { major, minor, full };
}

/** The NVIDIA_REQUIRE_CUDA constraint for a CUDA version. */
export function requireCuda(version: CudaVersion): string {
  return `cuda>=${version.major}.${version.minor}`;
}
