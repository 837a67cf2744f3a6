// The package layers of one platform: planned (big packages alone, the rest
// shared), written concurrently with compression in the thread pool, stacked
// in their planned order, and what their listings learnt folded into the
// facts the system layer, the config and the SBOM need.

import { createHash } from "node:crypto";
import type { LockedPackage } from "../apt/types.ts";
import type { Alternative } from "../assemble/alternatives.ts";
import { DEFAULT_LAYER_PLAN, type PlannedLayer, planLayers } from "../assemble/layer-plan.ts";
import {
  countDropped,
  emptyMeta,
  type PackageLayerMeta,
  packageLayerEntries,
  packageLayerKey,
} from "../assemble/package-layer.ts";
import type { Compression } from "../layer/blob-writer.ts";
import type { DropReason, PathPolicy, PolicyOptions } from "../layer/path-policy.ts";
import type { Spec } from "../spec/types.ts";
import type { TreeNodes } from "../tree/index.ts";
import type { TrimPlan } from "../trim/reachable.ts";
import { mapPool } from "../util/pool.ts";
import type { ProgressSink } from "../util/progress.ts";
import { isPackageLayerMeta } from "./layer-meta.ts";
import type { LayerStack, MadeLayer } from "./layer-stack.ts";

/** How many package layers are written at once. */
const CONCURRENT_LAYERS = 3;

/** The path policy package files pass through, and what of it decides a layer's bytes. */
export interface PackagePolicy {
  policy: PathPolicy;
  options: PolicyOptions;
  trim?: TrimPlan;
}

export interface PackageLayersInput {
  arch: string;
  spec: Spec;
  packages: LockedPackage[];
  debFile: (pkg: LockedPackage) => Promise<string>;
  compression: Compression;
  sourceDateEpoch?: number;
  onProgress: ProgressSink;
  sbomFiles?: boolean;
}

/** What the package layers hold, as the later steps need it. */
export interface PackageFacts {
  /** Every path some package layer holds. */
  present: Set<string>;
  /** The CA certificates the packages ship, by path. */
  caCerts: Map<string, string>;
  alternatives: Alternative[];
  /** Newest entry mtime, seconds. */
  newestMtime: number;
  fileCount: number;
  dropped: PackageLayerMeta["dropped"];
  copyrights: PackageLayerMeta["copyrights"];
  /** Every kept file's checksums, when the SBOM lists files. */
  packageFiles?: PackageLayerMeta["files"];
  /** Each package layer's tree nodes, bottom first. */
  trees: TreeNodes[];
}

/** Make the package layers, push them onto `stack` in their planned order, and fold what they learnt. */
export async function stackPackageLayers(
  stack: LayerStack,
  input: PackageLayersInput,
  policy: PackagePolicy,
): Promise<PackageFacts> {
  const plan = planLayers(
    input.packages.map((pkg) => ({ pkg, installedBytes: installedBytes(pkg) })),
    {
      maxLayers: input.spec.layering?.maxLayers ?? DEFAULT_LAYER_PLAN.maxLayers,
      ownLayerBytes: input.spec.layering?.ownLayerBytes ?? DEFAULT_LAYER_PLAN.ownLayerBytes,
      // The root, system and contents layers.
      reserved: 3,
    },
  );
  const made = await makeLayers(stack, input, policy, plan);
  const facts: PackageFacts = {
    present: new Set(),
    caCerts: new Map(),
    alternatives: [],
    newestMtime: 0,
    fileCount: 0,
    dropped: {},
    copyrights: [],
    packageFiles: input.sbomFiles ? [] : undefined,
    trees: [],
  };
  for (const [i, planned] of plan.entries()) {
    const layer = made[i];
    const names = planned.packages.map((p) => p.name);
    stack.push(planned.name, layer, `cudaseal: install ${names.join(" ")}`, names);
    fold(facts, layer.meta);
  }
  return facts;
}

// Largest first: the biggest layer is the critical path, so it must not
// start last. The result is in the plan's order.
async function makeLayers(
  stack: LayerStack,
  input: PackageLayersInput,
  policy: PackagePolicy,
  plan: PlannedLayer[],
): Promise<MadeLayer<PackageLayerMeta>[]> {
  const { arch } = input;
  // The trimmed set decides bytes of package layers: it is part of their key.
  const policyKey = {
    ...policy.options,
    trimmed: policy.trim
      ? createHash("sha256")
          .update([...policy.trim.remove].sort().join("\n"))
          .digest("hex")
      : null,
  };
  const total = plan.reduce((n, l) => n + debBytes(l), 0);
  input.onProgress({ task: `layers ${arch}`, kind: "start", unit: "bytes", total, totalItems: plan.length });
  const bySize = [...plan].sort((a, b) => debBytes(b) - debBytes(a));
  const written = await mapPool(bySize, CONCURRENT_LAYERS, async (planned) => {
    const key = packageLayerKey({
      packages: planned.packages,
      policy: policyKey,
      arch,
      clampMtime: input.sourceDateEpoch,
      compression: input.compression,
      hashFiles: input.sbomFiles,
    });
    const layer = await stack.make(key, isPackageLayerMeta, async () => {
      const meta = emptyMeta();
      const debs = await Promise.all(
        planned.packages.map(async (pkg) => ({ pkg, path: await input.debFile(pkg) })),
      );
      const options = {
        policy: policy.policy,
        arch,
        clampMtime: input.sourceDateEpoch,
        hashFiles: input.sbomFiles,
      };
      return { entries: packageLayerEntries(debs, options, meta), meta };
    });
    input.onProgress({ task: `layers ${arch}`, kind: "advance", delta: debBytes(planned), items: 1 });
    return layer;
  });
  input.onProgress({ task: `layers ${arch}`, kind: "end" });
  return plan.map((planned) => written[bySize.indexOf(planned)]);
}

function fold(facts: PackageFacts, meta: PackageLayerMeta): void {
  facts.copyrights.push(...meta.copyrights);
  facts.trees.push(meta.tree);
  facts.packageFiles?.push(...meta.files);
  for (const p of meta.paths) facts.present.add(p);
  for (const [p, pem] of meta.caCerts) facts.caCerts.set(p, pem);
  facts.alternatives.push(...meta.alternatives);
  facts.newestMtime = Math.max(facts.newestMtime, meta.newestMtime);
  facts.fileCount += meta.packages.reduce((n, p) => n + p.files, 0);
  for (const [reason, d] of Object.entries(meta.dropped)) {
    countDropped(facts.dropped, reason as DropReason, d.files, d.bytes);
  }
}

function debBytes(layer: { packages: LockedPackage[] }): number {
  return layer.packages.reduce((n, p) => n + p.size, 0);
}

function installedBytes(pkg: LockedPackage): number {
  return pkg.installedSize !== undefined ? pkg.installedSize * 1024 : pkg.size;
}
