// The layers and config of one architecture's image.

import { createHash } from "node:crypto";
import { rm } from "node:fs/promises";
import type { LockedPackage } from "../apt/types.ts";
import { NONROOT } from "../assemble/accounts.ts";
import { chooseAlternatives, multiarchTuple } from "../assemble/alternatives.ts";
import { DEFAULT_LAYER_PLAN, planLayers } from "../assemble/layer-plan.ts";
import {
  countDropped,
  emptyMeta,
  LAYER_FORMAT,
  type PackageLayerMeta,
  packageLayerEntries,
  packageLayerKey,
} from "../assemble/package-layer.ts";
import { rootLayerEntries } from "../assemble/root-layer.ts";
import { systemLayerEntries } from "../assemble/system-layer.ts";
import type { ContentStore } from "../cache/content-store.ts";
import { contentsLayerEntries } from "../contents/contents-layer.ts";
import { diagnosticsContent } from "../contents/diagnostics.ts";
import { CudasealError } from "../errors.ts";
import { installedCudaVersion } from "../image/cuda-version.ts";
import { imageLabels, runtimeConfig } from "../image/runtime-config.ts";
import { type Compression, type WrittenBlob, writeBlob } from "../layer/blob-writer.ts";
import type { LayerEntry } from "../layer/entry.ts";
import { LayerCache } from "../layer/layer-cache.ts";
import { layerTar } from "../layer/layer-tar.ts";
import { type DropReason, PathPolicy, type PolicyOptions } from "../layer/path-policy.ts";
import { buildImageConfig, type ConfigLayer } from "../oci/image-config.ts";
import type { PlatformImage } from "../oci/image-plan.ts";
import { type BuiltFiles, hashedEntries, type SbomFile } from "../sbom/index.ts";
import type { Spec } from "../spec/types.ts";
import { planTrim, type TrimPlan } from "../trim/reachable.ts";
import { scanLocalContents, scanPackages } from "../trim/scan.ts";
import { mapPool } from "../util/pool.ts";
import type { ProgressSink } from "../util/progress.ts";

export interface PlatformBuildInput {
  arch: string;
  spec: Spec;
  packages: LockedPackage[];
  /** The package's .deb, its hash checked against the lock: asked for only when a layer needing it is written. */
  debFile: (pkg: LockedPackage) => Promise<string>;
  cacheDir: string;
  store: ContentStore;
  compression: Compression;
  sourceDateEpoch?: number;
  useCache: boolean;
  reference: string;
  onProgress: ProgressSink;
  /** Record every package file's checksums for the SBOM. */
  sbomFiles?: boolean;
}

export interface LayerReport {
  name: string;
  digest: string;
  size: number;
  uncompressedSize: number;
  packages: string[];
  cached: boolean;
}

export interface PlatformResult {
  arch: string;
  image: PlatformImage;
  annotations: Record<string, string>;
  layers: LayerReport[];
  fileCount: number;
  /** Bytes the path policy left out, per reason. */
  dropped: PackageLayerMeta["dropped"];
  /** The CUDA toolkit version of the runtime installed, when there is one. */
  cudaVersion?: string;
  /** With `trim: elf`: sonames nothing in the image provides (the driver's, or missing ones). */
  unresolvedLibraries?: string[];
  /** What the SBOM needs of the layers: copyright files, package files where asked, the user's files. */
  sbom: BuiltFiles;
}

export function policyOptions(spec: Spec): PolicyOptions {
  const allow = spec.allow ?? {};
  return {
    excludes: spec.excludes ?? [],
    keep: spec.keep ?? [],
    allowShell: allow.shell === true,
    allowPackageManager: allow.packageManager === true,
    allowInterpreters: allow.interpreters === true,
    allowSetuid: allow.setuid === true,
    allowDocs: allow.docs === true,
    allowHeaders: allow.headers === true,
    allowStaticLibraries: allow.staticLibraries === true,
  };
}

export async function buildPlatform(input: PlatformBuildInput): Promise<PlatformResult> {
  const { arch, spec, compression } = input;
  const cache = new LayerCache(input.cacheDir, input.store);
  const baseOpts = policyOptions(spec);
  const trim = spec.trim === "elf" ? await planElfTrim(input, new PathPolicy(baseOpts)) : undefined;
  const policyOpts = { ...baseOpts, trimmed: trim?.remove };
  const policy = new PathPolicy(policyOpts);
  // The trimmed set decides bytes of package layers: it is part of their key.
  const policyKey = {
    ...baseOpts,
    trimmed: trim
      ? createHash("sha256")
          .update([...trim.remove].sort().join("\n"))
          .digest("hex")
      : null,
  };
  const clamp = input.sourceDateEpoch;
  const layerPlan = planLayers(
    input.packages.map((pkg) => ({ pkg, installedBytes: installedBytes(pkg) })),
    {
      maxLayers: spec.layering?.maxLayers ?? DEFAULT_LAYER_PLAN.maxLayers,
      ownLayerBytes: spec.layering?.ownLayerBytes ?? DEFAULT_LAYER_PLAN.ownLayerBytes,
      reserved: 3,
    },
  );
  const reports: LayerReport[] = [];
  const configLayers: ConfigLayer[] = [];
  const blobs: WrittenBlob[] = [];
  const cached = async <M>(
    key: string,
    entries: () =>
      | { entries: AsyncIterable<LayerEntry> | LayerEntry[]; meta: M }
      | Promise<{ entries: AsyncIterable<LayerEntry> | LayerEntry[]; meta: M }>,
  ) => {
    if (input.useCache) {
      const hit = await cache.get<M>(key);
      if (hit) return { ...hit, cached: true };
    }
    const made = await entries();
    const tmp = await input.store.tempPath(key);
    try {
      const blob = await writeBlob(layerTar(made.entries), tmp, compression);
      const path = await input.store.commit(tmp, blob.digest.slice("sha256:".length));
      const layer = { blob: { ...blob, path }, meta: made.meta };
      await cache.put(key, layer);
      return { ...layer, cached: false };
    } finally {
      await rm(tmp, { force: true });
    }
  };
  const add = (
    name: string,
    packages: string[],
    layer: { blob: WrittenBlob; cached: boolean },
    createdBy: string,
  ) => {
    blobs.push(layer.blob);
    configLayers.push({ diffId: layer.blob.diffId, createdBy, comment: `cudaseal: ${name}` });
    reports.push({
      name,
      digest: layer.blob.digest,
      size: layer.blob.size,
      uncompressedSize: layer.blob.uncompressedSize,
      packages,
      cached: layer.cached,
    });
  };

  // 1. The skeleton: identical in every image of this architecture.
  const root = await cached(keyOf(["root", arch, compression]), () => ({
    entries: rootLayerEntries(arch),
    meta: {},
  }));
  add("root", [], root, "cudaseal: merged-/usr skeleton");

  // 2. Package layers, written concurrently (compression runs in the thread pool).
  const total = layerPlan.reduce((n, l) => n + debBytes(l), 0);
  input.onProgress({
    task: `layers ${arch}`,
    kind: "start",
    unit: "bytes",
    total,
    totalItems: layerPlan.length,
  });
  // Largest first: the biggest layer is the critical path, so it must not
  // start last. The layers keep their planned order in the image.
  const bySize = [...layerPlan].sort((a, b) => debBytes(b) - debBytes(a));
  const written = await mapPool(bySize, 3, async (planned) => {
    const key = packageLayerKey({
      packages: planned.packages,
      policy: policyKey,
      arch,
      clampMtime: clamp,
      compression,
      hashFiles: input.sbomFiles,
    });
    const layer = await cached<PackageLayerMeta>(key, async () => {
      const meta = emptyMeta();
      const debs = await Promise.all(
        planned.packages.map(async (pkg) => ({ pkg, path: await input.debFile(pkg) })),
      );
      return {
        entries: packageLayerEntries(
          debs,
          { policy, arch, clampMtime: clamp, hashFiles: input.sbomFiles },
          meta,
        ),
        meta,
      };
    });
    input.onProgress({ task: `layers ${arch}`, kind: "advance", delta: debBytes(planned), items: 1 });
    return { planned, layer };
  });
  input.onProgress({ task: `layers ${arch}`, kind: "end" });
  const packageLayers = layerPlan.map((planned) => written[bySize.indexOf(planned)]);
  const present = new Set<string>();
  const caCerts = new Map<string, string>();
  const alternatives = [];
  let newest = 0;
  const dropped: PackageLayerMeta["dropped"] = {};
  let fileCount = 0;
  const copyrights: PackageLayerMeta["copyrights"] = [];
  const packageFiles: PackageLayerMeta["files"] | undefined = input.sbomFiles ? [] : undefined;
  let userFiles: SbomFile[] = [];
  for (const { planned, layer } of packageLayers) {
    copyrights.push(...layer.meta.copyrights);
    packageFiles?.push(...layer.meta.files);
    const names = planned.packages.map((p) => p.name);
    add(planned.name, names, layer, `cudaseal: install ${names.join(" ")}`);
    for (const p of layer.meta.paths) present.add(p);
    for (const [p, pem] of layer.meta.caCerts) caCerts.set(p, pem);
    alternatives.push(...layer.meta.alternatives);
    newest = Math.max(newest, layer.meta.newestMtime);
    fileCount += layer.meta.packages.reduce((n, p) => n + p.files, 0);
    for (const [reason, d] of Object.entries(layer.meta.dropped))
      countDropped(dropped, reason as DropReason, d.files, d.bytes);
  }
  const epoch = clamp ?? newest;
  const created = new Date(epoch * 1000);

  // 3. What maintainer scripts would have made.
  const accounts = {
    users: spec.accounts?.users ?? [NONROOT],
    groups: spec.accounts?.groups ?? [{ name: "nonroot", gid: 65532 }],
    rootShell: spec.allow?.shell ? "/bin/bash" : undefined,
  };
  const baseFiles = input.packages.find((p) => p.name === "base-files");
  const systemEntries = systemLayerEntries({
    accounts,
    caCerts,
    alternatives: chooseAlternatives(alternatives, (p) => present.has(p)),
    present,
    paths: spec.paths ?? [],
    suite: spec.suite ?? "trixie",
    debianVersion: baseFiles ? /^(\d+)/.exec(baseFiles.version)?.[1] : undefined,
    mtime: epoch,
  }).map((e) => ({ ...e, mode: policy.mode(e.path, e.mode, e.type === "directory") }));
  const system = await cached(keyOf(["system", systemEntries.map(describeEntry), compression]), () => ({
    entries: systemEntries,
    meta: {},
  }));
  add("system", [], system, "cudaseal: accounts, CA bundle, alternatives, os-release, paths");

  // 4. The user's contents, last, so that changing them rebuilds one layer.
  // diagnostics: true adds the static entrypoint wrapper, built for this architecture.
  const contentItems = spec.diagnostics
    ? [...(spec.contents ?? []), await diagnosticsContent(arch, input.cacheDir)]
    : spec.contents;
  if (contentItems?.length) {
    const made = await contentsLayerEntries(contentItems, { arch, mtime: epoch, policy });
    // The user's files are in every SBOM, with checksums taken as the layer is written and cached with it.
    const contents = await cached(keyOf(["contents", made.key, compression, "sbom-files"]), () => {
      const meta = { files: [] as SbomFile[] };
      const files = new Map<string, SbomFile>();
      async function* entries() {
        yield* hashedEntries(made.entries, files);
        meta.files = [...files.values()];
      }
      return { entries: entries(), meta };
    });
    userFiles = contents.meta.files;
    add("contents", [], contents, "cudaseal: contents");
  }

  const cuda = installedCudaVersion(input.packages);
  const runtime = runtimeConfig({ spec, cuda, created, reference: input.reference });
  const config = buildImageConfig({
    arch,
    created,
    user: runtime.User,
    env: runtime.Env,
    entrypoint: runtime.Entrypoint,
    cmd: runtime.Cmd,
    workingDir: runtime.WorkingDir,
    labels: runtime.Labels,
    stopSignal: runtime.StopSignal,
    layers: configLayers,
  });
  const annotations = {
    ...imageLabels({ spec, cuda, created, reference: input.reference }),
    ...(spec.annotations ?? {}),
  };
  return {
    arch,
    image: { config, layers: blobs, annotations },
    annotations,
    layers: reports,
    fileCount,
    dropped,
    cudaVersion: cuda?.full,
    unresolvedLibraries: trim?.unresolved,
    sbom: { copyrights, packageFiles, contents: userFiles },
  };
}

/** `trim: elf`: a first pass over the packages to learn which libraries the roots reach. */
async function planElfTrim(input: PlatformBuildInput, policy: PathPolicy): Promise<TrimPlan> {
  const { spec } = input;
  const roots = [
    ...(spec.entrypoint?.length ? [spec.entrypoint[0]] : spec.cmd?.length ? [spec.cmd[0]] : []),
    ...(spec.trimRoots ?? []),
  ];
  if (roots.length === 0) {
    throw new CudasealError(
      "SPEC_INVALID",
      "trim: elf needs an entrypoint, a cmd or trimRoots to trim from",
      {
        hint: "name the program the image runs in entrypoint, or the files and directories to keep in trimRoots",
      },
    );
  }
  const debs = await Promise.all(
    input.packages.map(async (pkg) => ({ pkg, path: await input.debFile(pkg) })),
  );
  const scan = await scanPackages(debs, policy);
  if (spec.contents) await scanLocalContents(spec.contents, scan);
  return planTrim({
    files: scan.files,
    symlinks: scan.symlinks,
    roots,
    multiarch: multiarchTuple(input.arch),
  });
}

function debBytes(layer: { packages: LockedPackage[] }): number {
  return layer.packages.reduce((n, p) => n + p.size, 0);
}

function installedBytes(pkg: LockedPackage): number {
  return pkg.installedSize !== undefined ? pkg.installedSize * 1024 : pkg.size;
}

/** A layer-cache key for a non-package layer: a hash of everything that decides its bytes. */
function keyOf(value: unknown): string {
  return createHash("sha256")
    .update(JSON.stringify({ format: LAYER_FORMAT, value }))
    .digest("hex");
}

function describeEntry(e: LayerEntry): unknown {
  const body = e.body instanceof Uint8Array ? createHash("sha256").update(e.body).digest("hex") : undefined;
  return [e.path, e.type, e.mode, e.uid, e.gid, e.mtime, e.linkname, body];
}
