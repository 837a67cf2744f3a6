// The resolve stage with its I/O: read and verify the sources, then run the
// pure resolver once per architecture and turn the results into a lock.

import { readSources, type SuiteInfo } from "../apt/repository.ts";
import type { AptSource } from "../apt/sources.ts";
import type { ContentStore } from "../cache/content-store.ts";
import { type Lock, toLock } from "./lock.ts";
import { type Resolution, resolve } from "./resolver.ts";

export interface LockFromSourcesOptions {
  sources: readonly AptSource[];
  archs: readonly string[];
  packages: readonly string[];
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
}

export async function lockFromSources(options: LockFromSourcesOptions): Promise<LockFromSourcesResult> {
  const index = await readSources(options.sources, {
    arches: [...options.archs],
    store: options.store,
    allowExpired: options.allowExpired,
    now: options.now,
    onNote: options.onNote,
    signal: options.signal,
  });
  const resolutions = options.archs.map((arch) =>
    resolve(index.packages.get(arch) ?? [], {
      packages: options.packages,
      arch,
      withRecommends: options.recommends,
      provided: options.provided,
      excludes: options.excludes,
    }),
  );
  const lock = toLock(resolutions, {
    packages: [...options.packages],
    arches: [...options.archs],
    withRecommends: options.recommends,
    provided: options.provided ? [...options.provided] : undefined,
    excludes: options.excludes ? [...options.excludes] : undefined,
  });
  return { lock, resolutions, suites: index.suites };
}
