// Brings locked packages into the content store: a cache hit is re-verified
// by hash, a miss is downloaded in a bounded pool, and nothing is handed on
// until its SHA256 matches the lock.

import type { LockedPackage } from "../apt/types.ts";
import type { ContentStore } from "../cache/content-store.ts";
import { noProgress, type ProgressSink } from "../util/progress.ts";
import { downloadVerified } from "./http.ts";
import { mapPool } from "./pool.ts";

export interface FetchDebsOptions {
  store: ContentStore;
  concurrency?: number;
  onProgress?: ProgressSink;
  signal?: AbortSignal;
}

export interface FetchedDeb {
  pkg: LockedPackage;
  path: string;
  /** True when the bytes came from the network in this run. */
  downloaded: boolean;
}

/** Make every package available as a verified local file. */
export async function fetchDebs(
  packages: readonly LockedPackage[],
  options: FetchDebsOptions,
): Promise<FetchedDeb[]> {
  const progress = options.onProgress ?? noProgress;
  const unique = [...new Map(packages.map((p) => [p.sha256, p])).values()];
  const cached = await mapPool(unique, 4, (pkg) => options.store.lookup(pkg.sha256, pkg.size));
  const missing = unique.filter((_, i) => cached[i] === undefined);
  const totalBytes = missing.reduce((sum, p) => sum + p.size, 0);
  progress({ task: "download", kind: "start", unit: "bytes", total: totalBytes, totalItems: missing.length });
  const paths = new Map<string, { path: string; downloaded: boolean }>();
  unique.forEach((pkg, i) => {
    if (cached[i]) paths.set(pkg.sha256, { path: cached[i], downloaded: false });
  });
  await mapPool(missing, options.concurrency ?? 6, async (pkg) => {
    const tmp = await options.store.tempPath(pkg.sha256);
    await downloadVerified(pkg.url, tmp, {
      sha256: pkg.sha256,
      size: pkg.size,
      label: `${pkg.name} ${pkg.version} (${pkg.arch})`,
      signal: options.signal,
      onBytes: (delta) => progress({ task: "download", kind: "advance", delta }),
    });
    const path = await options.store.commit(tmp, pkg.sha256);
    paths.set(pkg.sha256, { path, downloaded: true });
    progress({ task: "download", kind: "advance", delta: 0, items: 1 });
  });
  progress({ task: "download", kind: "end" });
  return packages.map((pkg) => ({ pkg, ...paths.get(pkg.sha256)! }));
}
