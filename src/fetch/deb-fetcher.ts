// Brings locked packages into the content store: a miss is downloaded in a
// bounded pool and verified as it is written; a cache hit is re-verified by
// hash, either here or (verify: "before-use") only when a layer that needs it
// is actually written, so a rebuild whose package layers are all cached never
// reads the gigabytes of .debs again. Nothing is used before its SHA256
// matches the lock.

import type { LockedPackage } from "../apt/types.ts";
import type { ContentStore } from "../cache/content-store.ts";
import { downloadVerified } from "../http/index.ts";
import { mapPool } from "../util/pool.ts";
import { noProgress, type ProgressSink } from "../util/progress.ts";

export interface FetchDebsOptions {
  store: ContentStore;
  concurrency?: number;
  onProgress?: ProgressSink;
  signal?: AbortSignal;
  /** `now` (default): hash cached files here. `before-use`: check their size here; hash them with verifiedDeb() before use. */
  verify?: "now" | "before-use";
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
  const cached = await mapPool(unique, 4, (pkg) =>
    options.verify === "before-use"
      ? options.store.present(pkg.sha256, pkg.size)
      : options.store.lookup(pkg.sha256, pkg.size),
  );
  const missing = unique.filter((_, i) => cached[i] === undefined);
  const totalBytes = missing.reduce((sum, p) => sum + p.size, 0);
  progress({ task: "download", kind: "start", unit: "bytes", total: totalBytes, totalItems: missing.length });
  const paths = new Map<string, { path: string; downloaded: boolean }>();
  unique.forEach((pkg, i) => {
    if (cached[i]) paths.set(pkg.sha256, { path: cached[i], downloaded: false });
  });
  await mapPool(missing, options.concurrency ?? 6, async (pkg) => {
    const path = await download(pkg, options, (delta) =>
      progress({ task: "download", kind: "advance", delta }),
    );
    paths.set(pkg.sha256, { path, downloaded: true });
    progress({ task: "download", kind: "advance", delta: 0, items: 1 });
  });
  progress({ task: "download", kind: "end" });
  return packages.map((pkg) => ({ pkg, ...paths.get(pkg.sha256)! }));
}

async function download(
  pkg: LockedPackage,
  options: FetchDebsOptions,
  onBytes?: (n: number) => void,
): Promise<string> {
  const tmp = await options.store.tempPath(pkg.sha256);
  await downloadVerified(pkg.url, tmp, {
    sha256: pkg.sha256,
    size: pkg.size,
    label: `${pkg.name} ${pkg.version} (${pkg.arch})`,
    signal: options.signal,
    onBytes,
  });
  return options.store.commit(tmp, pkg.sha256);
}

/**
 * A package's file, hashed against the lock just before use (once per
 * process); a cache entry found corrupt is removed and downloaded again.
 */
export async function verifiedDeb(pkg: LockedPackage, options: FetchDebsOptions): Promise<string> {
  return (await options.store.lookup(pkg.sha256, pkg.size)) ?? download(pkg, options);
}
