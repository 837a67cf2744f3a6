// `cudaseal build`: the pipeline, one stage per line. Each stage lives in its
// own folder; this file only orders them and wraps their failures.
//
//   inputs   → every local file, layout and key the spec names, checked before
//              any work (preflight.ts)
//   resolve  → the lock (exact packages, hashes), or the lock given
//   python   → with python:, the image's interpreter and the wheel for every
//              locked package, per architecture (python-plan.ts)
//   fetch    → every .deb and wheel into the verified content store (with
//              --cache-from, a .deb only when a layer that needs it is written)
//   layers   → per architecture: skeleton, package layers, system layer, contents,
//              each from the layer cache (local, then --cache-from) when it has it
//   cache    → with --cache-to, every layer to the cache registry
//   link     → every ELF file's libraries and loader, every script's interpreter,
//              found inside each platform's image (link-stage.ts)
//   image    → configs, manifests, index
//   describe → SPDX and CycloneDX SBOMs per platform, as artifacts naming it
//   write    → the output (OCI layout, docker-archive, oci-archive), atomically,
//              and the SBOMs beside it
//   lock, provenance, push → when asked, after the image is written (after-build.ts)

import { dirname } from "node:path";
import type { AvailablePackages } from "../apt/available.ts";
import type { AptSource } from "../apt/sources.ts";
import type { LockedPackage } from "../apt/types.ts";
import { ContentStore } from "../cache/content-store.ts";
import type { CopySummary } from "../copy/copy-image.ts";
import { CudasealError } from "../errors.ts";
import { fetchDebs, verifiedDeb } from "../fetch/deb-fetcher.ts";
import { OnDemandDebs } from "../fetch/on-demand-debs.ts";
import {
  type FetchedWheel,
  type FetchWheelsOptions,
  fetchWheels,
  verifiedWheel,
} from "../fetch/wheel-fetcher.ts";
import type { Compression } from "../layer/blob-writer.ts";
import { LayerCache } from "../layer/layer-cache.ts";
import { type BuiltImage, planImage } from "../oci/image-plan.ts";
import type { WrittenImage } from "../oci/layout-contents.ts";
import type { ChosenWheel } from "../python/index.ts";
import {
  type RegistryCacheOptions,
  type RegistryCacheStats,
  RegistryLayerCache,
} from "../registry-cache/registry-layer-cache.ts";
import { type Lock, lockFromSources } from "../resolve/index.ts";
import { builtImageFacts, sbomArtifacts } from "../sbom/index.ts";
import type { Spec } from "../spec/types.ts";
import { writeFileAtomic } from "../util/atomic-file.ts";
import { noProgress, type ProgressSink } from "../util/progress.ts";
import {
  type ProvenanceRequest,
  type PushRequest,
  pushImage,
  writeLockFile,
  writeProvenance,
} from "./after-build.ts";
import { checkPlatformLinks, type LinkReport } from "./link-stage.ts";
import { type OutputTarget, sbomPath, writeOutput } from "./output.ts";
import { buildPlatform, type PlatformResult } from "./platform-build.ts";
import { preflight } from "./preflight.ts";
import type { PythonPlatform } from "./python-layers.ts";
import { planPythonPlatforms, pythonProvenance, wheelFetchOptions, withFetchedSizes } from "./python-plan.ts";
import { StageRunner, type StageTiming, type StageWrites } from "./stages.ts";

export interface BuildOptions {
  spec: Spec;
  /** Architectures to build (the spec's, unless overridden). */
  archs: string[];
  sources: AptSource[];
  /** Replay this lock instead of resolving. */
  lock?: Lock;
  cacheDir: string;
  output: OutputTarget;
  compression: Compression;
  /** SOURCE_DATE_EPOCH, seconds: the image's created time, and a clamp on every mtime. */
  sourceDateEpoch?: number;
  allowExpired?: boolean;
  /** Reuse finished layers from the cache (default true). */
  layerCache?: boolean;
  /**
   * The registry-backed layer cache: repositories read on a local miss
   * (--cache-from) and the one every layer is written to (--cache-to).
   * Its problems are warnings (`onWarning`), never the build's failure,
   * unless `strict` makes a poisoned entry one.
   */
  registryCache?: Omit<RegistryCacheOptions, "onWarning">;
  /** List every package's files with their checksums in the SBOMs (default: the spec's `sbom.files`). */
  sbomFiles?: boolean;
  /** Also write the lock used to this file. */
  writeLock?: string;
  /** Also write the build's SLSA provenance v1 predicate. */
  provenance?: ProvenanceRequest;
  /** Then push the written image to a registry. */
  push?: PushRequest;
  onProgress?: ProgressSink;
  onNote?: (note: string) => void;
  /** Coded problems the build went on past (CACHE_REGISTRY_UNREACHABLE, CACHE_ENTRY_POISONED). */
  onWarning?: (warning: CudasealError) => void;
  signal?: AbortSignal;
}

export interface BuildResult {
  lock: Lock;
  written: WrittenImage;
  platforms: PlatformResult[];
  /** The link check's findings, per platform. */
  links: LinkReport[];
  stages: StageTiming[];
  packageCount: number;
  downloadedBytes: number;
  output: OutputTarget;
  /** What `push` sent, when asked. */
  pushed?: CopySummary;
  /** What the registry-backed layer cache did, when asked for. */
  registryCache?: RegistryCacheStats;
  /** The coded problems the build went on past, as `onWarning` was told them. */
  warnings: { code: string; message: string }[];
}

// Each platform's SBOM documents, and the artifacts that carry them.
type Sboms = ReturnType<typeof sbomArtifacts>;

/** Build the image `options.spec` describes, stage by stage, and write it to `options.output`. */
export async function build(options: BuildOptions): Promise<BuildResult> {
  const stages = new StageRunner(options.onProgress);
  await stages.run("inputs", () =>
    preflight({ spec: options.spec, archs: options.archs, sources: options.sources, locked: !!options.lock }),
  );
  const store = new ContentStore(options.cacheDir);
  // Every stage before the output's writes only under the cache.
  const cacheWrites: StageWrites = { folder: "cache", path: options.cacheDir };
  await removeStaleTemps(options, store);

  const { lock, available } = await stages.run("resolve", () => resolveLock(options, store), cacheWrites);
  const locked = lockedArches(lock, options.archs);
  const python = options.spec.python
    ? await stages.run("python", () => planPythonPlatforms(options.spec, locked, options), cacheWrites)
    : new Map<string, PythonPlatform>();
  const wheelOptions = wheelFetchOptions(store, python, options);
  const warnings: BuildResult["warnings"] = [];
  const registryCache = openRegistryCache(options, warnings);
  const fetched = await stages.run(
    "fetch",
    () => fetchPackages(options, store, locked, python, wheelOptions),
    cacheWrites,
  );
  const platforms = await stages.run(
    "layers",
    () =>
      buildPlatforms(options, store, locked, withFetchedSizes(python, fetched.wheels), wheelOptions, {
        debFile: fetched.debFile,
        registryCache,
      }),
    cacheWrites,
  );
  // Every layer made or found, to the cache repository (each entry all or nothing; a failure is a warning).
  if (registryCache !== undefined && options.registryCache?.to !== undefined)
    await stages.run("cache", () => registryCache.flush());
  const links = await stages.run("link", async () =>
    platforms.map((p) => checkPlatformLinks(p, options.spec, available?.get(p.arch))),
  );
  const image: BuiltImage = {
    platforms: platforms.map((p) => p.image),
    annotations: platforms[0].annotations,
    tag: options.output.tag,
  };
  const sboms = await stages.run("describe", async () => describeImage(options, lock, image, platforms));
  const written = await stages.run("write", () => writeImage(options, image, sboms), {
    folder: "output",
    path: options.output.path,
  });

  if (!platforms[0].cudaVersion && (options.spec.packages ?? []).some((p) => p.startsWith("libcu"))) {
    options.onNote?.("no CUDA runtime package found: NVIDIA_REQUIRE_CUDA is not set");
  }
  const pushed = await afterWrite(
    options,
    stages,
    lock,
    String(platforms[0].image.config.created),
    python,
    registryCache,
  );
  return {
    lock,
    written,
    platforms,
    links,
    stages: stages.timings,
    packageCount: locked.reduce((n, l) => Math.max(n, l.packages.length), 0),
    downloadedBytes: fetched.downloadedBytes(),
    output: options.output,
    pushed,
    registryCache: registryCache?.stats,
    warnings,
  };
}

/** lock, provenance, push: each when asked; a lock or provenance file filling its disk is DISK_FULL there. */
async function afterWrite(
  options: BuildOptions,
  stages: StageRunner,
  lock: Lock,
  created: string,
  python: Map<string, PythonPlatform>,
  registryCache: RegistryLayerCache | undefined,
): Promise<CopySummary | undefined> {
  const beside = (path: string): StageWrites => ({ folder: "output", path: dirname(path) });
  const { writeLock, provenance, push } = options;
  if (writeLock !== undefined)
    await stages.run("lock", () => writeLockFile(writeLock, lock), beside(writeLock));
  if (provenance !== undefined) {
    const { archs, compression, sourceDateEpoch } = options;
    const facts = { archs, compression, sourceDateEpoch, created };
    await stages.run(
      "provenance",
      async () =>
        writeProvenance(provenance, lock, { ...facts, python: await pythonProvenance(options.spec, python) }),
      beside(provenance.path),
    );
  }
  if (push === undefined) return undefined;
  // The layers a cache repository of the same registry holds are mounted from it, not uploaded.
  const mountFrom =
    push.to.transport === "docker" ? registryCache?.mountSources(push.to.registry) : undefined;
  return stages.run("push", () => pushImage(options.output.ref, push, options.onProgress, mountFrom));
}

/** What the fetch stage brought in, and how the layers get each .deb. */
interface FetchedPackages {
  wheels: FetchedWheel[];
  debFile: (pkg: LockedPackage) => Promise<string>;
  /** Bytes downloaded, .debs fetched on demand included: read once the layers are made. */
  downloadedBytes(): number;
}

/**
 * fetch: every locked .deb and wheel into the content store; with a cache
 * registry to read (--cache-from), no .deb until a layer that needs it is
 * written, so a worker whose every layer is in the shared cache downloads none.
 */
async function fetchPackages(
  options: BuildOptions,
  store: ContentStore,
  locked: { packages: LockedPackage[] }[],
  python: Map<string, PythonPlatform>,
  wheelOptions: FetchWheelsOptions,
): Promise<FetchedPackages> {
  const onDemand =
    (options.registryCache?.from.length ?? 0) > 0 && options.layerCache !== false
      ? new OnDemandDebs({ store, signal: options.signal })
      : undefined;
  const debs = onDemand
    ? []
    : await fetchDebs(
        locked.flatMap((l) => l.packages),
        { store, onProgress: options.onProgress ?? noProgress, signal: options.signal, verify: "before-use" },
      );
  const wheels = await fetchWheels(
    [...python.values()].flatMap((p) => p.wheels),
    wheelOptions,
  );
  // By file: an `all` package is in every architecture's list, and was downloaded once.
  const debBytes = new Map(debs.filter((f) => f.downloaded).map((f) => [f.pkg.sha256, f.pkg.size]));
  const fetchedBytes =
    [...debBytes.values()].reduce((n, size) => n + size, 0) +
    wheels.filter((w) => w.downloaded).reduce((n, w) => n + (w.wheel.size ?? 0), 0);
  return {
    wheels,
    debFile: onDemand
      ? (pkg) => onDemand.file(pkg)
      : (pkg) => verifiedDeb(pkg, { store, signal: options.signal }),
    downloadedBytes: () => fetchedBytes + (onDemand?.downloadedBytes ?? 0),
  };
}

/** The registry-backed layer cache, when asked for; its warnings go to `onWarning` and into `warnings`. */
function openRegistryCache(
  options: BuildOptions,
  warnings: BuildResult["warnings"],
): RegistryLayerCache | undefined {
  const asked = options.registryCache;
  if (asked === undefined || (asked.from.length === 0 && asked.to === undefined)) return undefined;
  return new RegistryLayerCache({
    ...asked,
    onProgress: options.onProgress,
    onWarning: (warning) => {
      warnings.push({ code: warning.code, message: warning.message });
      options.onWarning?.(warning);
    },
  });
}

/** What builds killed before this one left half-written in the cache (content-store.ts says which). */
async function removeStaleTemps(options: BuildOptions, store: ContentStore): Promise<void> {
  const stale = await Promise.all([
    store.removeStaleTemps(),
    new LayerCache(options.cacheDir, store).removeStaleTemps(),
  ]);
  if (stale[0] + stale[1] > 0)
    options.onNote?.(
      `removed ${stale[0] + stale[1]} temporary files that interrupted builds left in the cache`,
    );
}

/** resolve: the lock given, or one resolved from the sources (with the packages they offer, for the link check's hints). */
async function resolveLock(
  options: BuildOptions,
  store: ContentStore,
): Promise<{ lock: Lock; available?: Map<string, AvailablePackages> }> {
  if (options.lock) return { lock: options.lock };
  return lockFromSources({
    sources: options.sources,
    archs: options.archs,
    packages: options.spec.packages ?? [],
    cuda: { cuda: options.spec.cuda, cudnn: options.spec.cudnn, nccl: options.spec.nccl },
    provided: options.spec.provided ?? [],
    recommends: options.spec.recommends ?? false,
    store,
    allowExpired: options.allowExpired,
    onNote: options.onNote,
    signal: options.signal,
  });
}

/** The lock's packages for each architecture built. */
function lockedArches(lock: Lock, archs: string[]): { arch: string; packages: LockedPackage[] }[] {
  return archs.map((arch) => {
    const pkgs = lock.arches[arch];
    if (!pkgs) {
      throw new CudasealError("LOCK_INVALID", `the lock has no packages for ${arch}`, {
        hint: `make a lock for every architecture built (cudaseal lock --arch ${arch}), or build only the lock's: --arch ${Object.keys(lock.arches).join(",")}`,
        details: { arch, locked: Object.keys(lock.arches) },
      });
    }
    return { arch, packages: pkgs };
  });
}

/** layers: every architecture's layers and config, side by side. */
function buildPlatforms(
  options: BuildOptions,
  store: ContentStore,
  locked: { arch: string; packages: LockedPackage[] }[],
  python: Map<string, PythonPlatform>,
  wheels: FetchWheelsOptions,
  shared: { debFile: (pkg: LockedPackage) => Promise<string>; registryCache?: RegistryLayerCache },
): Promise<PlatformResult[]> {
  return Promise.all(
    locked.map(({ arch, packages }) =>
      buildPlatform({
        arch,
        spec: options.spec,
        packages,
        debFile: shared.debFile,
        python: python.get(arch),
        wheelFile: (wheel: ChosenWheel) => verifiedWheel(wheel, wheels),
        cacheDir: options.cacheDir,
        store,
        compression: options.compression,
        sourceDateEpoch: options.sourceDateEpoch,
        useCache: options.layerCache !== false,
        registryCache: shared.registryCache,
        reference: options.output.reference,
        onProgress: options.onProgress ?? noProgress,
        sbomFiles: options.sbomFiles ?? options.spec.sbom?.files === true,
      }),
    ),
  );
}

/** describe: the SBOMs name the platform manifests, whose digests the plan knows before anything is written. */
function describeImage(
  options: BuildOptions,
  lock: Lock,
  image: BuiltImage,
  platforms: PlatformResult[],
): Sboms {
  return sbomArtifacts(
    planImage(image),
    (arch) => lock.arches[arch] ?? [],
    { name: options.output.reference, created: String(platforms[0].image.config.created) },
    (arch) => {
      const built = platforms.find((p) => p.arch === arch);
      return built ? builtImageFacts(built.sbom, options.spec.paths) : {};
    },
  );
}

/** write: the output, then the SBOMs beside it. */
async function writeImage(options: BuildOptions, image: BuiltImage, sboms: Sboms): Promise<WrittenImage> {
  const result = await writeOutput(options.output, image, options.archs[0], sboms.artifacts);
  for (const doc of sboms.documents)
    await writeFileAtomic(sbomPath(options.output, doc.arch, doc.format), doc.text);
  return result;
}
