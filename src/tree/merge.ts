// One platform's image tree from its layers' nodes, bottom first, by the
// same whiteout rules every other reader of layers follows
// (source/whiteout.ts): a later layer's entry wins, `.wh.NAME` deletes,
// `.wh..wh..opq` empties a directory, a non-directory hides what was under it.

import type { ImageTree, TreeNode } from "../link/index.ts";
import { LayeredPaths, parseEntryName } from "../source/whiteout.ts";
import type { TreeNodes } from "./collect.ts";

interface Placed {
  layer: number;
  node: TreeNode;
}

export class TreeMerger {
  readonly #arch: string;
  readonly #paths = new LayeredPaths<Placed>((p) => p.layer);
  readonly #layers: TreeNodes[] = [];
  #layer = 0;

  constructor(arch: string) {
    this.#arch = arch;
  }

  /** Lay the next layer's nodes over those below. */
  add(nodes: TreeNodes): this {
    const layer = ++this.#layer;
    this.#layers.push(nodes);
    for (const [path, node] of nodes) {
      const rooted = `/${path}`;
      const name = parseEntryName(rooted);
      if (name.kind !== "none") this.#paths.whiteout(name, layer);
      else this.#paths.write(rooted, { layer, node }, node.type === "directory");
    }
    return this;
  }

  /** The tree as it would be with `nodes` laid on top, this one unchanged. */
  treeWith(nodes: TreeNodes): ImageTree {
    const next = new TreeMerger(this.#arch);
    for (const layer of this.#layers) next.add(layer);
    return next.add(nodes).tree();
  }

  /** The merged tree as it stands. */
  tree(): ImageTree {
    const nodes = new Map<string, TreeNode>();
    const paths = [...this.#paths.paths.keys()].sort();
    for (const p of paths) nodes.set(p.slice(1), this.#paths.paths.get(p)!.node);
    return { arch: this.#arch, nodes };
  }
}
