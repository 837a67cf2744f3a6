// The images a catalog publishes: each image's repository and the tags of
// its multi-arch indexes, every variant filled in. Read from catalog.yaml
// alone (no spec, no registry), for commands that look at what a catalog
// made, such as a rescan of all of it.

import type { Catalog } from "./types.ts";
import { tagsOf, variantsOf } from "./variants.ts";

/** One entry per image: REGISTRY/REPO and its final, multi-arch tags, in catalog order. */
export function catalogImages(catalog: Catalog): { repository: string; tags: string[] }[] {
  return catalog.images.map((image) => ({
    repository: image.repository,
    tags: variantsOf(image).flatMap((variant) => tagsOf(image, variant)),
  }));
}
