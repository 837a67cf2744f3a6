// One platform's layers as the build stacks them, bottom first. A layer is
// made once: taken from the layer cache by the hash of everything that
// decides its bytes, or written (compressed, into the content store) and
// cached; on a local miss, the registry-backed cache (--cache-from) is asked
// before anything is written, and every layer is offered to it to keep
// (--cache-to). Pushing it adds its blob, its line in the config's history
// and its line in the build's report, so the three always agree.

import { rm } from "node:fs/promises";
import type { ContentStore } from "../cache/content-store.ts";
import { type Compression, type WrittenBlob, writeBlob } from "../layer/blob-writer.ts";
import type { LayerEntry } from "../layer/entry.ts";
import { LayerCache } from "../layer/layer-cache.ts";
import { layerTar } from "../layer/layer-tar.ts";
import type { ConfigLayer } from "../oci/image-config.ts";
import type { RegistryLayerCache } from "../registry-cache/registry-layer-cache.ts";
import type { MetaCheck } from "./layer-meta.ts";

/** A layer's line in the build's report. */
export interface LayerReport {
  name: string;
  digest: string;
  size: number;
  uncompressedSize: number;
  packages: string[];
  cached: boolean;
  /** Where a cached layer came from: this machine's layer cache, or a cache registry (--cache-from). */
  cacheSource?: CacheSource;
}

export type CacheSource = "local" | "registry";

/** What a layer is made of, and what was learnt while listing it (kept in the cache with it). */
export interface LayerContent<M> {
  entries: AsyncIterable<LayerEntry> | LayerEntry[];
  meta: M;
}

/** A layer ready to push. */
export interface MadeLayer<M> {
  blob: WrittenBlob;
  meta: M;
  /** Taken from the layer cache rather than written. */
  cached: boolean;
  cacheSource?: CacheSource;
}

export interface LayerStackOptions {
  cacheDir: string;
  store: ContentStore;
  compression: Compression;
  /** Reuse finished layers from the cache. */
  useCache: boolean;
  /** The registry-backed cache: read on a local miss, offered every layer to write. */
  registryCache?: RegistryLayerCache;
}

export class LayerStack {
  /** The blobs, bottom first. */
  readonly blobs: WrittenBlob[] = [];
  /** The config's history and diff ids, bottom first. */
  readonly configLayers: ConfigLayer[] = [];
  readonly reports: LayerReport[] = [];
  readonly #cache: LayerCache;
  readonly #store: ContentStore;
  readonly #compression: Compression;
  readonly #useCache: boolean;
  readonly #registry: RegistryLayerCache | undefined;

  constructor(options: LayerStackOptions) {
    this.#cache = new LayerCache(options.cacheDir, options.store);
    this.#store = options.store;
    this.#compression = options.compression;
    this.#useCache = options.useCache;
    this.#registry = options.registryCache;
  }

  /**
   * The layer `key` names, from the cache or written from `content`; not yet
   * pushed. `write` replaces the blob writer for content that knows a cheaper
   * way to the same tar (wheel layers copy their members' deflate streams).
   * `check` is the shape of the meta `content` gives: a cached meta that
   * fails it is a local miss, or a poisoned registry entry (layer-meta.ts).
   */
  async make<M>(
    key: string,
    check: MetaCheck<M>,
    content: () => LayerContent<M> | Promise<LayerContent<M>>,
    write?: (entries: LayerContent<M>["entries"], path: string) => Promise<WrittenBlob>,
  ): Promise<MadeLayer<M>> {
    if (this.#useCache) {
      const hit = await this.#cache.get(key, check);
      if (hit) {
        this.#registry?.offer(key, hit);
        return { ...hit, cached: true, cacheSource: "local" };
      }
      // A layer another worker made: verified into the store, then kept locally as if made here.
      const shared = await this.#registry?.get(key, this.#store, check);
      if (shared) {
        await this.#cache.put(key, shared);
        return { ...shared, cached: true, cacheSource: "registry" };
      }
    }
    const made = await content();
    const tmp = await this.#store.tempPath(key);
    try {
      const blob = write
        ? await write(made.entries, tmp)
        : await writeBlob(layerTar(made.entries), tmp, this.#compression);
      const path = await this.#store.commit(tmp, blob.digest.slice("sha256:".length));
      const layer = { blob: { ...blob, path }, meta: made.meta };
      await this.#cache.put(key, layer);
      this.#registry?.offer(key, layer);
      return { ...layer, cached: false };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** Put `layer` on top of the stack. */
  push(name: string, layer: MadeLayer<unknown>, createdBy: string, packages: string[] = []): void {
    this.blobs.push(layer.blob);
    this.configLayers.push({ diffId: layer.blob.diffId, createdBy, comment: `cudaseal: ${name}` });
    this.reports.push({
      name,
      digest: layer.blob.digest,
      size: layer.blob.size,
      uncompressedSize: layer.blob.uncompressedSize,
      packages,
      cached: layer.cached,
      cacheSource: layer.cacheSource,
    });
  }
}
