// Each path's children in a file system built layer by layer, so that a
// whiteout or a replaced directory costs what it deletes, not the image's size.
// The index under the whiteout rules' record of merged layers
// (src/source/whiteout.ts).

import { posix } from "node:path";

export class PathChildren {
  readonly #children = new Map<string, Set<string>>();

  /** Record `path` under its parent, and each missing ancestor under its own. */
  add(path: string): void {
    for (let p = path; p !== "/"; ) {
      const parent = posix.dirname(p);
      let kids = this.#children.get(parent);
      if (kids === undefined) {
        kids = new Set();
        this.#children.set(parent, kids);
      }
      if (kids.has(p)) break;
      kids.add(p);
      p = parent;
    }
  }

  /**
   * Call `remove` on each child of `dir`, then forget the children that
   * `exists` says are gone and that have no children left.
   */
  removeUnder(dir: string, remove: (kid: string) => void, exists: (kid: string) => boolean): void {
    const kids = this.#children.get(dir);
    if (kids === undefined) return;
    for (const kid of [...kids]) {
      remove(kid);
      if (!exists(kid) && !this.#children.get(kid)?.size) kids.delete(kid);
    }
    if (kids.size === 0) this.#children.delete(dir);
  }
}
