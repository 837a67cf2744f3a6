// The registry-backed layer cache a build reads on a local miss
// (`--cache-from`, repositories tried in order) and writes what it made or
// found to (`--cache-to`), so a fresh worker with an empty cache folder
// rebuilds nothing another worker already built.
//
// The cache only ever speeds a build up; it never fails one, except where
// the user asked (`strict`) for a poisoned entry to:
//
//   - a repository whose registry cannot be reached is tried once, within a
//     short bound, then left alone for the rest of the build, with one
//     CACHE_REGISTRY_UNREACHABLE warning; so is one that fails a read or a
//     write later (denied, gone, answering 5xx);
//   - an entry that lies is CACHE_ENTRY_POISONED: a warning, and the layer
//     is built here (with `strict`, the build fails instead). When the
//     repository written to holds it, the entry made here replaces it;
//   - entries are written after the layers are made (flush()), each all or
//     nothing (push-entry.ts), a failed one a warning.

import type { ContentStore } from "../cache/content-store.ts";
import { CudasealError, isCudasealError } from "../errors.ts";
import type { CachedLayer } from "../layer/layer-cache.ts";
import {
  formatRegistryRef,
  openRepository,
  type RegistryClientOptions,
  type RegistryRef,
  type Repository,
} from "../registry/index.ts";
import { mapPool } from "../util/pool.ts";
import type { ProgressSink } from "../util/progress.ts";
import { fetchEntry } from "./fetch-entry.ts";
import { pushEntry } from "./push-entry.ts";

export interface RegistryCacheOptions {
  /** Repositories read on a local miss, in order (`--cache-from`). */
  from: readonly RegistryRef[];
  /** The repository written to (`--cache-to`). */
  to?: RegistryRef;
  registry?: RegistryClientOptions;
  /** Fail the build on a poisoned entry instead of building the layer here. */
  strict?: boolean;
  /** Each CACHE_REGISTRY_UNREACHABLE and CACHE_ENTRY_POISONED the build went on past. */
  onWarning?: (warning: CudasealError) => void;
  /** The writes' progress (task `cache`, one item per entry). */
  onProgress?: ProgressSink;
}

/** What the registry cache did in one build. */
export interface RegistryCacheStats {
  /** Layers read from a cache repository. */
  hits: number;
  /** Entries refused as poisoned. */
  poisoned: number;
  /** Entries written to the `to` repository. */
  pushed: number;
  /** Entries the `to` repository already had. */
  present: number;
  /** Entries that could not be written. */
  failed: number;
}

/** A cache repository may take this long to answer its first request before it is left alone. */
const CACHE_TIMEOUTS = { headersMs: 10_000 };
/** …and is asked twice, not five times: a cache that is down must cost the build seconds, not minutes. */
const CACHE_RETRY = { attempts: 2, maxDelayMs: 2_000 };

interface Offered {
  layer: CachedLayer<unknown>;
  /** The repository it was read from, when it came from one. */
  from?: Repository;
  /** The `to` repository's entry was refused: replace it. */
  replace: boolean;
}

export class RegistryLayerCache {
  readonly stats: RegistryCacheStats = { hits: 0, poisoned: 0, pushed: 0, present: 0, failed: 0 };
  readonly #from: Repository[];
  readonly #to: Repository | undefined;
  readonly #strict: boolean;
  readonly #onWarning: (warning: CudasealError) => void;
  readonly #onProgress: ProgressSink;
  readonly #ready = new Map<Repository, Promise<boolean>>();
  readonly #down = new Set<Repository>();
  readonly #offered = new Map<string, Offered>();
  readonly #poisonedInTo = new Set<string>();

  constructor(options: RegistryCacheOptions) {
    const clientOptions: RegistryClientOptions = {
      ...options.registry,
      timeouts: { ...CACHE_TIMEOUTS, ...options.registry?.timeouts },
      retry: { ...CACHE_RETRY, ...options.registry?.retry },
    };
    // One repository object per repository named, so one named as both from and to is reached once.
    const repos = new Map<string, Repository>();
    const open = (ref: RegistryRef): Repository => {
      const label = formatRegistryRef({ registry: ref.registry, repository: ref.repository });
      let repo = repos.get(label);
      if (repo === undefined) {
        repo = openRepository(ref.registry, ref.repository, clientOptions);
        repos.set(label, repo);
      }
      return repo;
    };
    this.#from = options.from.map(open);
    this.#to = options.to === undefined ? undefined : open(options.to);
    this.#strict = options.strict === true;
    this.#onWarning = options.onWarning ?? (() => undefined);
    this.#onProgress = options.onProgress ?? (() => undefined);
  }

  /**
   * The layer `key` names from the first `from` repository that has a sound
   * entry for it, its blob in `store`; an entry whose meta fails `isMeta` is
   * poisoned, as one whose blob lies.
   */
  async get<M>(
    key: string,
    store: ContentStore,
    isMeta: (meta: unknown) => meta is M,
  ): Promise<CachedLayer<M> | undefined> {
    for (const repo of this.#from) {
      if (!(await this.#reachable(repo))) continue;
      try {
        const layer = await fetchEntry(repo, key, store, isMeta);
        if (layer === undefined) continue;
        this.stats.hits++;
        this.#offer(key, layer, repo);
        return layer;
      } catch (err) {
        if (!isCudasealError(err, "CACHE_ENTRY_POISONED")) {
          this.#leave(repo, "read", err);
          continue;
        }
        this.stats.poisoned++;
        if (repo === this.#to) this.#poisonedInTo.add(key);
        if (this.#strict) throw err;
        this.#onWarning(err);
      }
    }
    return undefined;
  }

  /** A layer this build made or took from its local cache: written to the `to` repository by flush(). */
  offer(key: string, layer: CachedLayer<unknown>): void {
    this.#offer(key, layer, undefined);
  }

  /** Write every layer offered to the `to` repository; never throws. */
  async flush(): Promise<RegistryCacheStats> {
    const to = this.#to;
    if (to === undefined || this.#offered.size === 0 || !(await this.#reachable(to))) return this.stats;
    const progress = this.#onProgress;
    progress({ task: "cache", kind: "start", unit: "items", total: this.#offered.size });
    await mapPool([...this.#offered], 4, async ([key, offered]) => {
      try {
        if (this.#down.has(to)) {
          this.stats.failed++;
          return;
        }
        // The repository the layer was read from first: it surely holds the blob.
        const mountFrom = this.#onRegistry(to.client.registry, offered.from ? [offered.from] : [], to);
        const done = await pushEntry(to, key, offered.layer, mountFrom, offered.replace);
        this.stats[done]++;
      } catch (err) {
        this.stats.failed++;
        this.#leave(to, "write", err);
      } finally {
        progress({ task: "cache", kind: "advance", delta: 1 });
      }
    });
    progress({ task: "cache", kind: "end" });
    return this.stats;
  }

  /**
   * The cache repositories on `registry` that hold this build's layers, the
   * `to` repository first: where a push to that registry can mount them from.
   */
  mountSources(registry: string): string[] {
    return this.#onRegistry(registry, this.#to ? [this.#to] : []);
  }

  #offer(key: string, layer: CachedLayer<unknown>, from: Repository | undefined): void {
    const replace = this.#poisonedInTo.has(key);
    // A layer read from the `to` repository is there already.
    if (from !== undefined && from === this.#to) return;
    if (!this.#offered.has(key) || replace) this.#offered.set(key, { layer, from, replace });
  }

  /** The names of the usable cache repositories on `registry`, `first` first, `except` left out. */
  #onRegistry(registry: string, first: Repository[], except?: Repository): string[] {
    const repos = [...first, ...this.#from].filter(
      (r) => r !== except && r.client.registry === registry && !this.#down.has(r),
    );
    return [...new Set(repos.map((r) => r.name))];
  }

  /** Whether the repository's registry answers, asked once per build. */
  #reachable(repo: Repository): Promise<boolean> {
    if (this.#down.has(repo)) return Promise.resolve(false);
    let ready = this.#ready.get(repo);
    if (ready === undefined) {
      ready = repo.client.base().then(
        () => true,
        (err: unknown) => {
          this.#leave(repo, "reach", err);
          return false;
        },
      );
      this.#ready.set(repo, ready);
    }
    return ready;
  }

  /** Leave `repo` alone for the rest of the build, with one warning saying why. */
  #leave(repo: Repository, doing: "reach" | "read" | "write", err: unknown): void {
    if (this.#down.has(repo)) return;
    this.#down.add(repo);
    const why = err instanceof Error ? err.message : String(err);
    const going = doing === "write" ? "its entries are not written" : "the build goes on without it";
    this.#onWarning(
      new CudasealError(
        "CACHE_REGISTRY_UNREACHABLE",
        `the layer cache ${repo.label} cannot be used (${doing} failed: ${why}); ${going}`,
        {
          hint: "check the cache registry's address, that it is up and that these credentials may read (and for --cache-to, push to) it",
          cause: err,
          details: {
            repository: repo.label,
            doing,
            cause: isCudasealError(err) ? err.code : undefined,
          },
        },
      ),
    );
  }
}
