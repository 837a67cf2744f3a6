// A layer's tar: the layer entries, written by the deterministic tar writer.

import { writeTar } from "../tar/writer.ts";
import type { LayerEntry } from "./entry.ts";

export function layerTar(entries: AsyncIterable<LayerEntry> | Iterable<LayerEntry>): AsyncIterable<Buffer> {
  return writeTar(entries);
}
