// `cuda:`, `cudnn:` and `nccl:` of a spec turned into package requests,
// against what the package indexes actually hold (NVIDIA's naming):
//
//   cuda: "12.8"  → `{cuda}` in a package name becomes `12-8`, `{cuda_major}`
//                   becomes `12`; with no such name, cuda-cudart-12-8 is added
//   cudnn: 9      → libcudnn9-cuda-12
//   nccl: true    → libnccl2=<version>, the newest built for CUDA 12.8
//                   (Debian version ending `+cuda12.8`), else the newest for an
//                   older 12.x, which a note says
//
// A version with no cuda-cudart-X-Y in the indexes is CUDA_VERSION_UNAVAILABLE,
// and its message lists the versions they do hold. Pure: no I/O.

import { AvailablePackages } from "../apt/available.ts";
import type { PackageRecord } from "../apt/types.ts";
import { compareVersions } from "../apt/version-compare.ts";
import { CudasealError } from "../errors.ts";

/** What a spec asks for besides its package list. */
export interface CudaChoice {
  /** `12.8`, `13.0`. */
  cuda?: string;
  /** The cuDNN major version. */
  cudnn?: number;
  nccl?: boolean;
}

const PLACEHOLDER = /\{(cuda|cuda_major)\}/;
const CUDART = /^cuda-cudart-(\d+)-(\d+)$/;
const NCCL = "libnccl2";

/**
 * The package requests for `packages` and `choice`, given every architecture's
 * packages on offer (the NCCL build chosen must exist for each of them).
 */
export function expandCudaPackages(
  packages: readonly string[],
  choice: CudaChoice,
  available: ReadonlyMap<string, Offer>,
  onNote?: (note: string) => void,
): string[] {
  const version = choice.cuda;
  if (version === undefined) {
    const placeholder = packages.find((p) => PLACEHOLDER.test(p));
    const needs = placeholder ?? (choice.cudnn !== undefined ? "cudnn:" : choice.nccl ? "nccl:" : undefined);
    if (needs !== undefined) {
      throw new CudasealError("SPEC_INVALID", `${needs} needs the spec's cuda: version`, {
        hint: 'add cuda: "12.8" (or another version NVIDIA publishes) and the nvidia-cuda source',
        details: { package: needs },
      });
    }
    return [...packages];
  }
  const m = /^(\d+)\.(\d+)$/.exec(version);
  if (!m) {
    throw new CudasealError("SPEC_INVALID", `cuda: ${JSON.stringify(version)} is not a CUDA version`, {
      hint: 'write the major and minor version, as a string: cuda: "12.8"',
      details: { cuda: version },
    });
  }
  const [major, minor] = [Number(m[1]), Number(m[2])];
  const dashed = `${major}-${minor}`;
  const published = publishedCudaVersions(available);
  if (!published.includes(`${major}.${minor}`)) {
    throw new CudasealError(
      "CUDA_VERSION_UNAVAILABLE",
      `no packages for CUDA ${major}.${minor} (no cuda-cudart-${dashed}); the repositories publish: ${published.join(", ") || "none"}`,
      {
        hint:
          published.length > 0
            ? `choose one of ${published.join(", ")} for cuda:`
            : "add the nvidia-cuda source to the spec's sources",
        details: { cuda: version, published },
      },
    );
  }
  const expanded = packages.map((p) => p.replaceAll("{cuda}", dashed).replaceAll("{cuda_major}", `${major}`));
  if (!packages.some((p) => PLACEHOLDER.test(p))) expanded.push(`cuda-cudart-${dashed}`);
  if (choice.cudnn !== undefined) expanded.push(`libcudnn${choice.cudnn}-cuda-${major}`);
  if (choice.nccl) {
    const pinned = `${NCCL}=${ncclVersion(major, minor, available, onNote)}`;
    // A bare libnccl2 in the list would ask for the newest build, whatever its CUDA.
    return [...new Set([...expanded.filter((p) => p !== NCCL), pinned])];
  }
  return [...new Set(expanded)];
}

/** What is on offer for one architecture: the sources' packages, or a list of records. */
type Offer = AvailablePackages | readonly PackageRecord[];

function perArch(available: ReadonlyMap<string, Offer>): AvailablePackages[] {
  return [...available].map(([arch, offer]) =>
    offer instanceof AvailablePackages ? offer : AvailablePackages.fromRecords(offer, arch),
  );
}

/** The CUDA versions the indexes hold a cuda-cudart-X-Y for, `12.8` form, oldest first. */
export function publishedCudaVersions(available: ReadonlyMap<string, Offer>): string[] {
  const found = new Map<string, [number, number]>();
  for (const offer of perArch(available)) {
    for (const name of offer.names()) {
      const m = CUDART.exec(name);
      if (m) found.set(`${Number(m[1])}.${Number(m[2])}`, [Number(m[1]), Number(m[2])]);
    }
  }
  return [...found.entries()].sort(([, a], [, b]) => a[0] - b[0] || a[1] - b[1]).map(([v]) => v);
}

/**
 * The newest libnccl2 built for CUDA major.minor on every architecture, else
 * the newest built for the nearest older minor of the same major.
 */
function ncclVersion(
  major: number,
  minor: number,
  available: ReadonlyMap<string, Offer>,
  onNote?: (note: string) => void,
): string {
  // Per architecture, NCCL's versions by the CUDA minor they were built for.
  const builds = perArch(available).map((offer) => {
    const byMinor = new Map<number, Set<string>>();
    for (const record of offer.named(NCCL)) {
      const m = /\+cuda(\d+)\.(\d+)$/.exec(record.version);
      if (!m || Number(m[1]) !== major || Number(m[2]) > minor) continue;
      const set = byMinor.get(Number(m[2])) ?? new Set();
      set.add(record.version);
      byMinor.set(Number(m[2]), set);
    }
    return byMinor;
  });
  for (let z = minor; z >= 0; z--) {
    const common = builds.reduce<string[] | undefined>((acc, byMinor) => {
      const versions = [...(byMinor.get(z) ?? [])];
      return acc === undefined ? versions : acc.filter((v) => versions.includes(v));
    }, undefined);
    if (!common?.length) continue;
    const best = common.sort(compareVersions).at(-1)!;
    if (z !== minor)
      onNote?.(`no ${NCCL} is built for CUDA ${major}.${minor}; using ${best}, built for ${major}.${z}`);
    return best;
  }
  throw new CudasealError(
    "CUDA_VERSION_UNAVAILABLE",
    `no ${NCCL} built for CUDA ${major}.${minor} or an older ${major}.x is published`,
    {
      hint: "drop nccl: or choose a CUDA version NCCL is built for",
      details: { cuda: `${major}.${minor}` },
    },
  );
}
