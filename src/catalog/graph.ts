// The plan's DAG: which unit needs which, a loop found and named, and each
// unit's level (one more than its deepest need) for engines that run a level
// at a time.

import { CudasealError } from "../errors.ts";

/** A unit as the graph sees it: its id, its image, what it needs. */
export interface GraphNode {
  id: string;
  entry: string;
  needs: string[];
}

/** The ids in an order where every unit comes after its needs; CATALOG_CYCLE naming the loop otherwise. */
export function topologicalOrder(nodes: readonly GraphNode[]): string[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const state = new Map<string, "open" | "closed">();
  const order: string[] = [];
  const path: string[] = [];
  const visit = (id: string): void => {
    const seen = state.get(id);
    if (seen === "closed") return;
    if (seen === "open") throw cycleError(path.slice(path.indexOf(id)).concat(id), byId);
    state.set(id, "open");
    path.push(id);
    for (const need of [...(byId.get(id)?.needs ?? [])].sort()) visit(need);
    path.pop();
    state.set(id, "closed");
    order.push(id);
  };
  for (const id of [...byId.keys()].sort()) visit(id);
  return order;
}

function cycleError(loop: string[], byId: ReadonlyMap<string, GraphNode>): CudasealError {
  // Say it in the catalog's words (its images), with the units beside them.
  const images = loop.map((id) => byId.get(id)?.entry ?? id);
  const collapsed = images.filter((name, i) => i === 0 || name !== images[i - 1]);
  return new CudasealError(
    "CATALOG_CYCLE",
    `the catalog's images need each other: ${collapsed.join(" -> ")}`,
    {
      hint: "an image's spec copies (contents: image:) from one of the images that copies from it; break the loop",
      details: { images: collapsed, units: loop },
    },
  );
}

/** Each unit's level: 0 with no needs, else one more than its deepest need. `order` is topological. */
export function levels(nodes: readonly GraphNode[], order: readonly string[]): Map<string, number> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const level = new Map<string, number>();
  for (const id of order) {
    const needs = byId.get(id)?.needs ?? [];
    level.set(id, needs.length === 0 ? 0 : 1 + Math.max(...needs.map((n) => level.get(n) ?? 0)));
  }
  return level;
}
