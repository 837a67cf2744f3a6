// Finished layers, kept by the hash of everything that decides their bytes
// (the .deb SHA256s, the path policy, mtimes, compression), so a rebuild that
// changes only the user's contents recompresses only that layer. The blob
// lives in the content store; a small JSON record maps the key to it and
// carries what the build learned while writing it.

import { randomBytes } from "node:crypto";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type ContentStore, removeStaleTemps, tempOwner } from "../cache/content-store.ts";
import { readRegularFile } from "../util/read-regular-file.ts";
import type { WrittenBlob } from "./blob-writer.ts";

export interface CachedLayer<M> {
  blob: WrittenBlob;
  meta: M;
}

/** Far more than the record of the largest layer, with a digest for each of its files. */
const MAX_RECORD = 256 * 1024 * 1024;

export class LayerCache {
  readonly #dir: string;
  readonly #store: ContentStore;

  constructor(root: string, store: ContentStore) {
    this.#dir = join(root, "layers");
    this.#store = store;
  }

  /** The layer `key` names; a miss unless its record's meta passes `isMeta` (a corrupt record is no layer). */
  async get<M>(key: string, isMeta: (meta: unknown) => meta is M): Promise<CachedLayer<M> | undefined> {
    let record: CachedLayer<unknown>;
    try {
      // A record lists at most every file of a layer; a FIFO or a huge file there is a miss, not a wait.
      const bytes = await readRegularFile(join(this.#dir, `${key}.json`), {
        what: "layer record",
        max: MAX_RECORD,
      });
      record = JSON.parse(bytes.toString("utf8"));
    } catch {
      return undefined;
    }
    if (typeof record !== "object" || record === null || !isMeta(record.meta)) return undefined;
    const hex = record.blob?.digest?.replace(/^sha256:/, "");
    if (!hex) return undefined;
    const path = await this.#store.lookup(hex, record.blob.size);
    if (!path) return undefined;
    return { blob: { ...record.blob, path }, meta: record.meta };
  }

  /** Remove the records' temporaries whose writers are gone, as the content store does for its own. */
  removeStaleTemps(): Promise<number> {
    return removeStaleTemps(this.#dir);
  }

  async put<M>(key: string, layer: CachedLayer<M>): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    const file = join(this.#dir, `${key}.json`);
    const tmp = `${file}.${tempOwner()}.${randomBytes(6).toString("hex")}.tmp`;
    const { path: _path, ...blob } = layer.blob;
    await writeFile(tmp, JSON.stringify({ blob, meta: layer.meta }));
    await rename(tmp, file);
  }
}
