// Which layer's version of each path survives into the image's final file
// system, following the OCI whiteout rules as src/source/filesystem.ts does:
// `.wh.NAME` deletes NAME and all under it from lower layers, `.wh..wh..opq`
// empties a directory of what lower layers put there, and a non-directory
// hides whatever lower layers had under its path. Entries of one layer never
// hide each other. Only layer numbers are kept, so a large image costs a map
// entry per path.

import { PathChildren } from "../util/path-children.ts";

/** Called when a later layer deletes or replaces `path` as `layer` wrote it. */
export type DropListener = (path: string, layer: number, byLayer: number) => void;

export class FinalFs {
  readonly #layers = new Map<string, number>();
  readonly #children = new PathChildren();
  readonly #onDrop: DropListener;

  constructor(onDrop: DropListener = () => {}) {
    this.#onDrop = onDrop;
  }

  /** The layer whose version of `path` is in the final file system. */
  layerOf(path: string): number | undefined {
    return this.#layers.get(path);
  }

  /** Every path in the final file system with its layer. */
  entries(): IterableIterator<[string, number]> {
    return this.#layers.entries();
  }

  /** Record that `layer` wrote `path`; a non-directory first hides what is under it. */
  add(path: string, layer: number, isDirectory: boolean): void {
    if (!isDirectory) this.clearUnder(path, layer);
    const old = this.#layers.get(path);
    if (old !== undefined && old < layer) this.#onDrop(path, old, layer);
    this.#layers.set(path, layer);
    this.#children.add(path);
  }

  /** `.wh.NAME` in `layer`: delete `path` and all under it that lower layers wrote. */
  whiteout(path: string, layer: number): void {
    const old = this.#layers.get(path);
    if (old !== undefined && old < layer) {
      this.#layers.delete(path);
      this.#onDrop(path, old, layer);
    }
    this.clearUnder(path, layer);
  }

  /** `.wh..wh..opq` in `layer` (and the shadow a non-directory casts): delete all under `dir` from lower layers. */
  clearUnder(dir: string, layer: number): void {
    this.#children.removeUnder(
      dir,
      (kid) => this.whiteout(kid, layer),
      (kid) => this.#layers.has(kid),
    );
  }
}
