// Locked packages fetched only when a layer that needs them is written: for
// builds that share a registry-backed layer cache, where a package whose
// every layer another worker already made is never downloaded at all. Each
// package is fetched at most once per build (concurrent asks share one
// download), and verified against the lock as deb-fetcher.ts does.

import type { LockedPackage } from "../apt/types.ts";
import { type FetchDebsOptions, verifiedDeb } from "./deb-fetcher.ts";

/**
 * Packages looked up or downloaded at a time, as fetchDebs' pool: the
 * callers ask for a whole layer's packages at once (a `trim: elf` pass for
 * every package of the platform), and hundreds of connections to one mirror
 * at once would be refused or throttled.
 */
const CONCURRENT = 6;

export class OnDemandDebs {
  /** Bytes downloaded so far: packages not in the content store when asked for. */
  downloadedBytes = 0;
  readonly #options: FetchDebsOptions;
  readonly #files = new Map<string, Promise<string>>();
  readonly #waiting: (() => void)[] = [];
  #running = 0;

  constructor(options: FetchDebsOptions) {
    this.#options = options;
  }

  /** The package's file, hashed against the lock; downloaded first when the store lacks it. */
  file(pkg: LockedPackage): Promise<string> {
    let file = this.#files.get(pkg.sha256);
    if (file === undefined) {
      file = this.#fetch(pkg);
      this.#files.set(pkg.sha256, file);
    }
    return file;
  }

  async #fetch(pkg: LockedPackage): Promise<string> {
    if (this.#running >= (this.#options.concurrency ?? CONCURRENT))
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#running++;
    try {
      const have = await this.#options.store.lookup(pkg.sha256, pkg.size);
      if (have !== undefined) return have;
      const path = await verifiedDeb(pkg, this.#options);
      this.downloadedBytes += pkg.size;
      return path;
    } finally {
      // The slot passes straight to the next waiter, so #running counts it still.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
