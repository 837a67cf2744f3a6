// Groups packages into layers. A layer's bytes depend only on the packages in
// it, so the grouping must depend only on each package itself wherever it
// can: large packages (the CUDA libraries) get a layer each, and so are shared
// byte for byte between images that install them (cuda-python reuses every
// CUDA layer of cuda-runtime). Small packages share one layer. Past the
// layer budget, the smallest of the large packages join the shared layer.

import type { LockedPackage } from "../apt/types.ts";

export interface LayerPlanOptions {
  /** Total layer budget including the non-package layers. */
  maxLayers: number;
  /** Installed size (bytes) from which a package gets a layer of its own. */
  ownLayerBytes: number;
  /** Layers reserved for the root, system and contents layers. */
  reserved: number;
}

export interface PlannedLayer {
  /** A short name for history and progress: the package, or `packages`. */
  name: string;
  packages: LockedPackage[];
}

export interface SizedPackage {
  pkg: LockedPackage;
  /** Installed-Size in bytes (or the .deb size where unknown). */
  installedBytes: number;
}

export const DEFAULT_LAYER_PLAN: LayerPlanOptions = {
  maxLayers: 24,
  ownLayerBytes: 16 * 1024 * 1024,
  reserved: 3,
};

/** Plan the package layers, in a stable order: big ones by name, then the rest. */
export function planLayers(packages: readonly SizedPackage[], options: LayerPlanOptions): PlannedLayer[] {
  const budget = Math.max(1, options.maxLayers - options.reserved);
  const byName = [...packages].sort((a, b) => cmp(a.pkg.name, b.pkg.name));
  const big = byName
    .filter((p) => p.installedBytes >= options.ownLayerBytes)
    .sort((a, b) => b.installedBytes - a.installedBytes || cmp(a.pkg.name, b.pkg.name));
  // Keep at least one slot for the small packages; past the budget, the
  // smallest of the big ones fall back into the shared layer.
  const own = big.slice(0, Math.max(0, budget - 1));
  const ownNames = new Set(own.map((p) => p.pkg.name));
  const rest = byName.filter((p) => !ownNames.has(p.pkg.name));
  const layers: PlannedLayer[] = own
    .sort((a, b) => cmp(a.pkg.name, b.pkg.name))
    .map((p) => ({ name: p.pkg.name, packages: [p.pkg] }));
  if (rest.length > 0) layers.unshift({ name: "packages", packages: rest.map((p) => p.pkg) });
  return layers;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
