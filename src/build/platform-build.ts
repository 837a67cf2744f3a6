// One architecture's image, built as a stack of layers from the bottom:
// the merged-/usr skeleton, the package layers, the system layer (what
// maintainer scripts would have made, ld.so.cache included), with
// `python:` the wheels and the application (python-layers.ts), the user's
// contents; then the config over them. Each step pushes its layer onto the
// stack (layer-stack.ts), and each layer's tree nodes, kept with it in the
// layer cache, are merged into the image tree the link check reads.

import type { LockedPackage } from "../apt/types.ts";
import { NONROOT } from "../assemble/accounts.ts";
import { chooseAlternatives, cudaAlternatives, multiarchTuple } from "../assemble/alternatives.ts";
import { hasGlibc, loaderCacheEntries, loaderConfigEntries } from "../assemble/loader-config.ts";
import type { PackageLayerMeta } from "../assemble/package-layer.ts";
import { rootLayerEntries } from "../assemble/root-layer.ts";
import { systemLayerEntries } from "../assemble/system-layer.ts";
import type { ContentStore } from "../cache/content-store.ts";
import { contentsLayerEntries } from "../contents/contents-layer.ts";
import { diagnosticsContent } from "../contents/diagnostics.ts";
import { CudasealError } from "../errors.ts";
import { installedCudaVersion } from "../image/cuda-version.ts";
import { imageLabels, runtimeConfig } from "../image/runtime-config.ts";
import type { Compression } from "../layer/blob-writer.ts";
import { byPath } from "../layer/entry.ts";
import { PathPolicy, type PolicyOptions } from "../layer/path-policy.ts";
import type { ImageTree, LdCacheEntry } from "../link/index.ts";
import { buildImageConfig } from "../oci/image-config.ts";
import type { PlatformImage } from "../oci/image-plan.ts";
import type { ChosenWheel } from "../python/index.ts";
import type { RegistryLayerCache } from "../registry-cache/registry-layer-cache.ts";
import { type BuiltFiles, hashedEntries, type SbomFile } from "../sbom/index.ts";
import type { Spec } from "../spec/types.ts";
import { TreeCollector, TreeMerger, type TreeNodes, treeNodes } from "../tree/index.ts";
import { planTrim, type TrimPlan } from "../trim/reachable.ts";
import { scanLocalContents, scanPackages } from "../trim/scan.ts";
import type { ProgressSink } from "../util/progress.ts";
import { type DuplicateLibrary, duplicateLibraries } from "./duplicate-libraries.ts";
import { describeEntry, keyOf } from "./layer-key.ts";
import { isContentsMeta, isTreeMeta } from "./layer-meta.ts";
import { type LayerReport, LayerStack } from "./layer-stack.ts";
import { type PackageFacts, type PackagePolicy, stackPackageLayers } from "./package-layers.ts";
import {
  type PythonPlatform,
  type PythonReport,
  pythonRuntimeSpec,
  type StackedPython,
  stackPython,
} from "./python-layers.ts";

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
  /** The registry-backed layer cache (--cache-from, --cache-to), when asked for. */
  registryCache?: RegistryLayerCache;
  reference: string;
  onProgress: ProgressSink;
  /** Record every package file's checksums for the SBOM. */
  sbomFiles?: boolean;
  /** With `python:`, this architecture's interpreter and chosen wheels. */
  python?: PythonPlatform;
  /** A wheel's file, its hash checked against the lock: asked for only when a layer needing it is written. */
  wheelFile?: (wheel: ChosenWheel) => Promise<string>;
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
  /** With `python:`, the Python packages installed and where. */
  python?: PythonReport;
  /** Sonames more than one file in the image names as its own (a .deb's and a wheel's CUDA libraries). */
  duplicateLibraries: DuplicateLibrary[];
  /** The image's file system as the loader sees it, after every layer. */
  tree: ImageTree;
  /** The entries of the ld.so.cache the build wrote (from the packages and the system layer); absent without glibc. */
  ldCache?: LdCacheEntry[];
}

export function policyOptions(spec: Spec): PolicyOptions {
  const allow = spec.allow ?? {};
  return {
    excludes: spec.excludes ?? [],
    keep: spec.keep ?? [],
    allowShell: allow.shell === true,
    allowPackageManager: allow.packageManager === true,
    // A spec with `python:` runs Python: its interpreter is the workload's, as with allow.interpreters.
    allowInterpreters: allow.interpreters === true || spec.python !== undefined,
    allowSetuid: allow.setuid === true,
    allowDocs: allow.docs === true,
    allowHeaders: allow.headers === true,
    allowStaticLibraries: allow.staticLibraries === true,
  };
}

/** Build one architecture's image: its layers, bottom first, then its config. */
export async function buildPlatform(input: PlatformBuildInput): Promise<PlatformResult> {
  const { arch, spec } = input;
  const policy = await packagePolicy(input);
  const stack = new LayerStack({
    cacheDir: input.cacheDir,
    store: input.store,
    compression: input.compression,
    useCache: input.useCache,
    registryCache: input.registryCache,
  });
  const tree = new TreeMerger(arch);
  tree.add(await stackRoot(stack, input));
  const packages = await stackPackageLayers(stack, input, policy);
  for (const nodes of packages.trees) tree.add(nodes);
  const epoch = input.sourceDateEpoch ?? packages.newestMtime;
  const ldCache = await stackSystem(stack, input, policy.policy, packages, epoch, tree);
  const python = await stackPythonLayers(stack, input, policy, epoch, tree);
  const contents = await stackContents(stack, input, policy.policy, epoch);
  tree.add(contents.tree);

  const imageTree = tree.tree();
  const created = new Date(epoch * 1000);
  const cuda = installedCudaVersion(input.packages);
  const annotations = {
    ...imageLabels({ spec, cuda, created, reference: input.reference }),
    ...(spec.annotations ?? {}),
  };
  return {
    arch,
    image: { config: imageConfig(input, stack, cuda, created), layers: stack.blobs, annotations },
    annotations,
    layers: stack.reports,
    fileCount: packages.fileCount,
    dropped: packages.dropped,
    cudaVersion: cuda?.full,
    unresolvedLibraries: policy.trim?.unresolved,
    sbom: {
      copyrights: packages.copyrights,
      packageFiles: packages.packageFiles,
      contents: contents.files,
      python: python?.sbom,
    },
    tree: imageTree,
    ldCache,
    python: python?.report,
    duplicateLibraries: duplicateLibraries(imageTree),
  };
}

/** With `python:`, the wheels' layers and the application's, over the system layer. */
async function stackPythonLayers(
  stack: LayerStack,
  input: PlatformBuildInput,
  policy: PackagePolicy,
  epoch: number,
  tree: TreeMerger,
): Promise<StackedPython | undefined> {
  const { python, wheelFile } = input;
  if (!python || !wheelFile) return undefined;
  const { arch, spec, compression, onProgress } = input;
  return stackPython(stack, { arch, spec, python, wheelFile, compression, onProgress }, policy, epoch, tree);
}

/** The spec's path policy, narrowed by `trim: elf` to what the roots reach. */
async function packagePolicy(input: PlatformBuildInput): Promise<PackagePolicy> {
  const options = policyOptions(input.spec);
  const trim = input.spec.trim === "elf" ? await planElfTrim(input, new PathPolicy(options)) : undefined;
  return { policy: new PathPolicy({ ...options, trimmed: trim?.remove }), options, trim };
}

/** The skeleton: identical in every image of this architecture. Returns its tree nodes. */
async function stackRoot(stack: LayerStack, input: PlatformBuildInput): Promise<TreeNodes> {
  const root = await stack.make(keyOf(["root", input.arch, input.compression]), isTreeMeta, () => {
    const entries = rootLayerEntries(input.arch);
    return { entries, meta: { tree: treeNodes(entries) } };
  });
  stack.push("root", root, "cudaseal: merged-/usr skeleton");
  return root.meta.tree;
}

/**
 * What maintainer scripts would have made: accounts, the CA bundle,
 * alternatives, os-release, and with glibc the loader's configuration, the
 * ld.so.cache over the layers below and this one, and the soname links.
 * Lays its nodes on `tree`; returns the cache's entries.
 */
async function stackSystem(
  stack: LayerStack,
  input: PlatformBuildInput,
  policy: PathPolicy,
  packages: PackageFacts,
  epoch: number,
  tree: TreeMerger,
): Promise<LdCacheEntry[] | undefined> {
  const { spec } = input;
  const accounts = {
    users: spec.accounts?.users ?? [NONROOT],
    groups: spec.accounts?.groups ?? [{ name: "nonroot", gid: 65532 }],
    rootShell: spec.allow?.shell ? "/bin/bash" : undefined,
  };
  const baseFiles = input.packages.find((p) => p.name === "base-files");
  const entries = systemLayerEntries({
    accounts,
    caCerts: packages.caCerts,
    alternatives: chooseAlternatives(
      [...packages.alternatives, ...cudaAlternatives(input.packages.map((p) => p.name))],
      (p) => packages.present.has(p),
    ),
    present: packages.present,
    paths: spec.paths ?? [],
    suite: spec.suite ?? "trixie",
    debianVersion: baseFiles ? /^(\d+)/.exec(baseFiles.version)?.[1] : undefined,
    mtime: epoch,
  }).map((e) => ({ ...e, mode: policy.mode(e.path, e.mode, e.type === "directory") }));
  let ldCache: LdCacheEntry[] | undefined;
  if (hasGlibc(packages.present)) {
    entries.push(...loaderConfigEntries(packages.present, epoch));
    // The cache is what ldconfig would find once this layer is laid: the packages' libraries and this layer's config.
    const made = loaderCacheEntries(tree.treeWith(treeNodes(entries, "system")), epoch);
    entries.push(...made.entries);
    ldCache = made.cache.entries;
  }
  entries.sort(byPath);
  // The key holds every entry's bytes: the cache's among them.
  const system = await stack.make(
    keyOf(["system", entries.map(describeEntry), input.compression]),
    isTreeMeta,
    () => ({
      entries,
      meta: { tree: treeNodes(entries, "system") },
    }),
  );
  stack.push("system", system, "cudaseal: accounts, CA bundle, alternatives, os-release, ld.so.cache, paths");
  tree.add(system.meta.tree);
  return ldCache;
}

/**
 * The user's contents, last, so that changing them rebuilds one layer;
 * `diagnostics: true` adds the static entrypoint wrapper, built for this
 * architecture. Returns the user's files for the SBOM.
 */
async function stackContents(
  stack: LayerStack,
  input: PlatformBuildInput,
  policy: PathPolicy,
  epoch: number,
): Promise<{ files: SbomFile[]; tree: TreeNodes }> {
  const { arch, spec } = input;
  const items = spec.diagnostics
    ? [...(spec.contents ?? []), await diagnosticsContent(arch, input.cacheDir)]
    : spec.contents;
  if (!items?.length) return { files: [], tree: [] };
  const made = await contentsLayerEntries(items, { arch, mtime: epoch, policy });
  // The user's files are in every SBOM, with checksums taken as the layer is written and cached with it,
  // and in the image tree, their facts read as they pass.
  const contents = await stack.make(
    keyOf(["contents", made.key, input.compression, "sbom-files"]),
    isContentsMeta,
    () => {
      const meta = { files: [] as SbomFile[], tree: [] as TreeNodes };
      const files = new Map<string, SbomFile>();
      const tree = new TreeCollector();
      async function* entries() {
        yield* tree.watch(hashedEntries(made.entries, files), "contents");
        meta.files = [...files.values()];
        meta.tree = tree.nodes();
      }
      return { entries: entries(), meta };
    },
  );
  stack.push("contents", contents, "cudaseal: contents");
  return contents.meta;
}

/** The image config: the runtime settings the spec and the CUDA runtime give, over the stacked layers. */
function imageConfig(
  input: PlatformBuildInput,
  stack: LayerStack,
  cuda: ReturnType<typeof installedCudaVersion>,
  created: Date,
): PlatformImage["config"] {
  const spec = pythonRuntimeSpec(input.spec);
  const runtime = runtimeConfig({ spec, cuda, created, reference: input.reference });
  return buildImageConfig({
    arch: input.arch,
    created,
    user: runtime.User,
    env: runtime.Env,
    entrypoint: runtime.Entrypoint,
    cmd: runtime.Cmd,
    workingDir: runtime.WorkingDir,
    labels: runtime.Labels,
    stopSignal: runtime.StopSignal,
    layers: stack.configLayers,
  });
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
