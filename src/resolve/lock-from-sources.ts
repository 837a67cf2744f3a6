// The resolve stage with its I/O: read and verify the sources, turn the
// spec's CUDA choice into package requests, then run the pure resolver once
// per architecture and turn the results into a lock.

import type { AvailablePackages } from "../apt/available.ts";
import { readSources, type SuiteInfo } from "../apt/repository.ts";
import type { AptSource } from "../apt/sources.ts";
import type { ContentStore } from "../cache/content-store.ts";
import { isCudasealError } from "../errors.ts";
import { type CudaChoice, expandCudaPackages } from "./cuda-packages.ts";
import { type Lock, toLock } from "./lock.ts";
import { type Resolution, resolve } from "./resolver.ts";

export interface LockFromSourcesOptions {
  sources: readonly AptSource[];
  archs: readonly string[];
  /** Package specs; `{cuda}` and `{cuda_major}` are filled from `cuda`. */
  packages: readonly string[];
  /** The spec's cuda:, cudnn: and nccl: (cuda-packages.ts). */
  cuda?: CudaChoice;
  provided?: readonly string[];
  excludes?: readonly string[];
  recommends?: boolean;
  store: ContentStore;
  allowExpired?: boolean;
  now?: Date;
  onNote?: (note: string) => void;
  signal?: AbortSignal;
}

export interface LockFromSourcesResult {
  lock: Lock;
  resolutions: Resolution[];
  /** The suites read, with the key that signed each. */
  suites: SuiteInfo[];
  /** Every package the sources offer, per architecture (the link check's hints look there). */
  available: Map<string, AvailablePackages>;
}

export async function lockFromSources(options: LockFromSourcesOptions): Promise<LockFromSourcesResult> {
  try {
    return await readAndResolve(options);
  } catch (err) {
    // A damaged package index cache entry shows only when a record in it is
    // read; it is gone by now, so one more read rebuilds it from the index.
    if (!(isCudasealError(err, "CACHE_CORRUPT") && err.details?.indexCache === true)) throw err;
    options.onNote?.(`${err.message}; reading the sources again`);
    return readAndResolve(options);
  }
}

async function readAndResolve(options: LockFromSourcesOptions): Promise<LockFromSourcesResult> {
  const index = await readSources(options.sources, {
    arches: [...options.archs],
    store: options.store,
    allowExpired: options.allowExpired,
    now: options.now,
    onNote: options.onNote,
    signal: options.signal,
  });
  // The lock's request holds the expanded names, so a replay needs no index.
  const packages = expandCudaPackages(options.packages, options.cuda ?? {}, index.available, options.onNote);
  const resolutions = options.archs.map((arch) =>
    resolve(index.available.get(arch) ?? [], {
      packages,
      arch,
      withRecommends: options.recommends,
      provided: options.provided,
      excludes: options.excludes,
    }),
  );
  const lock = toLock(resolutions, {
    packages,
    arches: [...options.archs],
    withRecommends: options.recommends,
    provided: options.provided ? [...options.provided] : undefined,
    excludes: options.excludes ? [...options.excludes] : undefined,
  });
  return { lock, resolutions, suites: index.suites, available: index.available };
}
