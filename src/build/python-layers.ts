// The Python layers of one platform, stacked over the package and system
// layers: each big wheel (torch, nvidia-*-cu12, triton…) a layer of its own,
// the small ones together in one, and the application on top, so that
// changing only the application rebuilds one layer. A wheel layer's key is
// the hash of its wheels' SHA256s, the interpreter, the target and the path
// policy, so a rebuild finds it in the layer cache without reading a wheel.
// Wheels are installed straight into the layer by the installer in
// src/python/wheel/; nothing runs.

import { createHash } from "node:crypto";
import { contentsLayerEntries } from "../contents/contents-layer.ts";
import { CudasealError } from "../errors.ts";
import { DEFAULT_PATH } from "../image/runtime-config.ts";
import type { Compression } from "../layer/blob-writer.ts";
import { dirEntry, type LayerEntry, parents } from "../layer/entry.ts";
import type { PathPolicy, PolicyOptions } from "../layer/path-policy.ts";
import {
  type ChosenWheel,
  checkWheelConflicts,
  emptyWheelMeta,
  type InstallTarget,
  inspectWheel,
  parseInstallTarget,
  type Scheme,
  schemeFor,
  venvEntries,
  wheelLayerEntries,
  writeWheelLayerBlob,
} from "../python/index.ts";
import { type PythonSbomPackage, pythonSbomPackage } from "../sbom/index.ts";
import type { Spec } from "../spec/types.ts";
import { TreeCollector, type TreeMerger, type TreeNodes } from "../tree/index.ts";
import { mapPool } from "../util/pool.ts";
import type { ProgressSink } from "../util/progress.ts";
import { describeEntry, keyOf } from "./layer-key.ts";
import { isPythonLayerMeta } from "./layer-meta.ts";
import type { LayerStack } from "./layer-stack.ts";
import type { ImagePython } from "./python-interpreter.ts";
import {
  type InstallPaths,
  PROJECT_ROOT,
  projectInstallEntries,
  readProject,
  skipProjectPath,
} from "./python-project.ts";

/** A wheel at least this big gets a layer of its own, unless the spec's `layering.ownLayerBytes` says otherwise. */
export const PYTHON_OWN_LAYER_BYTES = 64 * 1024 * 1024;

/** At most this many wheels get layers of their own; the smaller of the rest join the shared layer. */
const MAX_WHEEL_LAYERS = 48;

/** How many wheel layers are written at once. */
const CONCURRENT_LAYERS = 3;

/**
 * Files no larger than this are hashed as they pass, so that two layers
 * installing the same bytes at one path (every nvidia-*-cu12 wheel ships an
 * empty nvidia/__init__.py) are told from two wheels that really collide.
 */
const HASHED_FILE_BYTES = 64 * 1024;

/** What the build decided for one architecture before any layer is written. */
export interface PythonPlatform {
  interpreter: ImagePython;
  /** The lock's format, for the report. */
  lockFormat: string;
  wheels: ChosenWheel[];
  /** The indexes the wheels come from, for their credentials. */
  indexes: string[];
}

export interface PythonLayersInput {
  arch: string;
  spec: Spec;
  python: PythonPlatform;
  /** The wheel's file, its hash checked against the lock: asked for only when a layer needing it is written. */
  wheelFile: (wheel: ChosenWheel) => Promise<string>;
  compression: Compression;
  onProgress: ProgressSink;
}

/** What the Python layers hold, for the build's report. */
export interface PythonReport {
  /** `3.13`, the image's interpreter. */
  interpreter: string;
  target: string;
  lockFormat: string;
  packages: { name: string; version: string; filename: string; sha256: string; layer: string }[];
}

/** What a Python layer keeps with it in the layer cache. */
interface PythonLayerMeta {
  /** Its image-tree nodes, a wheel's owned by `python:NAME`. */
  tree: TreeNodes;
  /** [path, sha256] of its small files. */
  small: [string, string][];
  /** [wheel name, its installed METADATA's text], for the SBOM. */
  metadata: [string, string][];
}

/** What the Python layers give the build: the report, and each wheel as the SBOM describes it. */
export interface StackedPython {
  report: PythonReport;
  sbom: PythonSbomPackage[];
}

/** The target's install scheme for the image's interpreter. */
function pythonScheme(spec: Spec, interpreter: ImagePython): { target: InstallTarget; scheme: Scheme } {
  const target = parseInstallTarget(spec.python?.target);
  return { target, scheme: schemeFor(target, interpreter.version, interpreter.executable) };
}

/**
 * The spec as the image config sees it with Python: the project's folder
 * as the working directory unless the spec names one, and a venv target's
 * bin first on PATH with VIRTUAL_ENV set, as `source bin/activate` would.
 */
export function pythonRuntimeSpec(spec: Spec): Spec {
  const python = spec.python;
  if (!python) return spec;
  const workdir = spec.workdir ?? (python.project !== undefined ? PROJECT_ROOT : undefined);
  const target = parseInstallTarget(python.target);
  if (target.kind !== "venv") return { ...spec, workdir };
  const env = { VIRTUAL_ENV: target.path, PATH: `${target.path}/bin:${DEFAULT_PATH}`, ...spec.env };
  return { ...spec, workdir, env };
}

/**
 * Make the wheel layers and the application's, push them onto `stack`
 * (bottom first: big wheels by name, the shared layer, the application),
 * lay their nodes on `tree`, and report what they hold.
 */
export async function stackPython(
  stack: LayerStack,
  input: PythonLayersInput,
  policy: { policy: PathPolicy; options: PolicyOptions },
  mtime: number,
  tree: TreeMerger,
): Promise<StackedPython> {
  const { python, spec } = input;
  const { target, scheme } = pythonScheme(spec, python.interpreter);
  const groups = planWheelLayers(python.wheels, spec.layering?.ownLayerBytes ?? PYTHON_OWN_LAYER_BYTES);
  const made = await makeWheelLayers(stack, input, groups, scheme, policy, mtime);
  const report: PythonReport = {
    interpreter: `${python.interpreter.version[0]}.${python.interpreter.version[1]}`,
    target: spec.python?.target ?? "system",
    lockFormat: python.lockFormat,
    packages: [],
  };
  const sbom: PythonSbomPackage[] = [];
  const claims = new FileClaims();
  for (const [i, group] of groups.entries()) {
    const layer = made[i];
    const names = group.wheels.map((w) => `python:${w.name}`);
    stack.push(
      group.name,
      layer,
      `cudaseal: install ${group.wheels.map((w) => w.filename).join(" ")}`,
      names,
    );
    claims.add(group.name, layer.meta);
    tree.add(layer.meta.tree);
    const metadata = new Map(layer.meta.metadata);
    for (const w of group.wheels) {
      const { name, version, filename, sha256 } = w;
      report.packages.push({ name, version, filename, sha256, layer: group.name });
      const text = metadata.get(name);
      const described = text === undefined ? undefined : pythonSbomPackage(text, { sha256, url: w.url });
      sbom.push(described ?? { name, version, sha256, url: w.url, installer: "cudaseal" });
    }
  }
  tree.add(await stackApplication(stack, input, target, scheme, policy.policy, mtime));
  return { report, sbom };
}

interface WheelGroup {
  name: string;
  wheels: ChosenWheel[];
}

/** Big wheels alone (by name), then one layer of the rest; the order is stable, so keys are. */
export function planWheelLayers(wheels: readonly ChosenWheel[], ownLayerBytes: number): WheelGroup[] {
  const byName = [...wheels].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const own = new Set(
    byName
      .filter((w) => (w.size ?? 0) >= ownLayerBytes)
      .sort((a, b) => (b.size ?? 0) - (a.size ?? 0))
      .slice(0, MAX_WHEEL_LAYERS),
  );
  const groups = byName.filter((w) => own.has(w)).map((w) => ({ name: `python:${w.name}`, wheels: [w] }));
  const rest = byName.filter((w) => !own.has(w));
  if (rest.length) groups.push({ name: "python", wheels: rest });
  return groups;
}

/** Every group's layer, from the cache or written; largest first, so the biggest does not start last. */
async function makeWheelLayers(
  stack: LayerStack,
  input: PythonLayersInput,
  groups: WheelGroup[],
  scheme: Scheme,
  policy: { policy: PathPolicy; options: PolicyOptions },
  mtime: number,
) {
  const total = groups.reduce((n, g) => n + wheelBytes(g), 0);
  const task = `python layers ${input.arch}`;
  input.onProgress({ task, kind: "start", unit: "bytes", total, totalItems: groups.length });
  const bySize = [...groups].sort((a, b) => wheelBytes(b) - wheelBytes(a));
  const written = await mapPool(bySize, CONCURRENT_LAYERS, async (group) => {
    const key = keyOf([
      "python-wheels",
      input.arch,
      { ...scheme, headers: scheme.headers("NAME") },
      policy.options,
      mtime,
      input.compression,
      // gzip layers copy the wheels' deflate streams: other bytes than recompressing.
      input.compression.algorithm === "gzip" ? "copied-members" : "recompressed",
      group.wheels.map((w) => w.sha256),
    ]);
    const layer = await stack.make<PythonLayerMeta>(
      key,
      isPythonLayerMeta,
      async () => {
        const meta: PythonLayerMeta = { tree: [], small: [], metadata: [] };
        const files = await Promise.all(
          group.wheels.map(async (w) => ({ wheel: w, path: await input.wheelFile(w) })),
        );
        // Two wheels of this layer writing one path with other bytes are refused
        // before a byte is written; with the same bytes the file is written once.
        checkWheelConflicts(
          await Promise.all(
            files.map((f) => inspectWheel({ path: f.path, filename: f.wheel.filename }, scheme)),
          ),
        );
        return { entries: wheelEntries(files, scheme, policy.policy, mtime, meta), meta };
      },
      copyingWriter(input.compression),
    );
    input.onProgress({ task, kind: "advance", delta: wheelBytes(group), items: 1 });
    return layer;
  });
  input.onProgress({ task, kind: "end" });
  return groups.map((g) => written[bySize.indexOf(g)]);
}

/**
 * For gzip layers, the writer that copies each big wheel member's deflate
 * stream into the blob as a gzip member once its bytes were checked, instead
 * of compressing them again (python/wheel/wheel-blob.ts): most of a wheel
 * layer's time. zstd layers are compressed as any other.
 */
function copyingWriter(compression: Compression) {
  if (compression.algorithm !== "gzip") return undefined;
  return (entries: AsyncIterable<LayerEntry> | Iterable<LayerEntry>, path: string) =>
    writeWheelLayerBlob(entries, path, compression.level);
}

/** Reasons the path policy drops a file that still hold for a wheel's; its docs and headers are its own. */
const WHEEL_DROPS = new Set(["excluded", "driver-library", "shell", "package-manager"]);

/** Each wheel's installed files in turn, through the path policy, its nodes owned by the wheel. */
async function* wheelEntries(
  wheels: { wheel: ChosenWheel; path: string }[],
  scheme: Scheme,
  policy: PathPolicy,
  mtime: number,
  meta: PythonLayerMeta,
): AsyncIterable<LayerEntry> {
  const tree = new TreeCollector();
  const dirs = new Set<string>();
  const files = new Set<string>();
  const site = `${scheme.purelib}/`;
  for (const { wheel, path } of wheels) {
    const owner = `python:${wheel.name}`;
    const installed = wheelLayerEntries(
      [{ path, filename: wheel.filename }],
      { scheme, mtime },
      emptyWheelMeta(),
    );
    for await (const entry of installed) {
      const isDir = entry.type === "directory";
      const reason = policy.dropReason(entry.path, isDir);
      if (reason !== undefined && WHEEL_DROPS.has(reason)) continue;
      // The wheels of one layer share their folders: each is written once.
      if (isDir) {
        if (dirs.has(entry.path)) continue;
        dirs.add(entry.path);
      } else {
        // checkWheelConflicts found the bytes the same (nvidia/__init__.py in every nvidia-* wheel).
        if (files.has(entry.path)) continue;
        files.add(entry.path);
      }
      let kept: LayerEntry = { ...entry, mode: policy.mode(entry.path, entry.mode, isDir) };
      if (entry.type === "file") {
        kept = hashSmall(kept, meta.small);
        if (isMetadata(entry.path, site))
          kept = withText(kept, (text) => meta.metadata.push([wheel.name, text]));
      }
      yield tree.record(kept, owner);
    }
  }
  meta.tree = tree.nodes();
}

/** Whether `path` is a distribution's METADATA in site-packages (`NAME-VER.dist-info/METADATA`). */
function isMetadata(path: string, site: string): boolean {
  return path.startsWith(site) && /^[^/]+\.dist-info\/METADATA$/.test(path.slice(site.length));
}

/** Core metadata larger than this is not kept for the SBOM (its description is most of it). */
const MAX_METADATA_BYTES = 1024 * 1024;

/** `entry`, its body's text given to `onText` once it has passed, when it is small enough to keep. */
function withText(entry: LayerEntry, onText: (text: string) => void): LayerEntry {
  const body = entry.body;
  if ((entry.size ?? 0) > MAX_METADATA_BYTES || body === undefined) return entry;
  if (body instanceof Uint8Array) {
    onText(Buffer.from(body).toString("utf8"));
    return entry;
  }
  return {
    ...entry,
    body: (async function* () {
      const chunks: Uint8Array[] = [];
      for await (const chunk of body) {
        chunks.push(chunk);
        yield chunk;
      }
      onText(Buffer.concat(chunks).toString("utf8"));
    })(),
  };
}

/** `entry`, its body hashed on the way into `out` when the file is small. */
function hashSmall(entry: LayerEntry, out: [string, string][]): LayerEntry {
  const body = entry.body;
  if ((entry.size ?? 0) > HASHED_FILE_BYTES || body === undefined) return entry;
  const hash = createHash("sha256");
  if (body instanceof Uint8Array) {
    out.push([entry.path, hash.update(body).digest("hex")]);
    return entry;
  }
  return {
    ...entry,
    body: (async function* () {
      for await (const chunk of body) {
        hash.update(chunk);
        yield chunk;
      }
      out.push([entry.path, hash.digest("hex")]);
    })(),
  };
}

/**
 * Files two Python layers both install: refused (WHEEL_DUPLICATE_FILE),
 * unless both are small and hash the same, as pip would overwrite a file
 * with itself.
 */
class FileClaims {
  readonly #owner = new Map<string, { layer: string; sha256?: string }>();

  add(layer: string, meta: PythonLayerMeta): void {
    const hashes = new Map(meta.small);
    for (const [path, node] of meta.tree) {
      if (node.type === "directory") continue;
      const sha256 = hashes.get(path);
      const before = this.#owner.get(path);
      if (before !== undefined && !(sha256 !== undefined && before.sha256 === sha256)) {
        throw new CudasealError(
          "WHEEL_DUPLICATE_FILE",
          `/${path} is installed by both ${before.layer} and ${layer}`,
          {
            hint: "two locked packages ship the same file; lock only one of them",
            details: { path: `/${path}`, layers: [before.layer, layer] },
          },
        );
      }
      this.#owner.set(path, { layer, sha256 });
    }
  }
}

/**
 * The application's layer: a venv's skeleton when the target is one, and
 * the project (its tree at /app, installed editable) when the spec names
 * one. Its key is the hash of those bytes alone, so changing only the
 * application rebuilds only this layer. Returns its tree nodes.
 */
async function stackApplication(
  stack: LayerStack,
  input: PythonLayersInput,
  target: InstallTarget,
  scheme: Scheme,
  policy: PathPolicy,
  mtime: number,
): Promise<TreeNodes> {
  const { spec, python } = input;
  const fixed: LayerEntry[] =
    target.kind === "venv"
      ? venvEntries(target, python.interpreter.version, python.interpreter.executable, mtime)
      : [];
  const projectDir = spec.python?.project;
  const project = projectDir ? await readProject(projectDir) : undefined;
  const paths: InstallPaths = {
    sitePackages: `/${scheme.purelib}`,
    scripts: `/${scheme.scripts}`,
    interpreter: scheme.interpreter,
  };
  if (project) fixed.push(...projectInstallEntries(project, paths, mtime));
  const tree = projectDir
    ? await contentsLayerEntries([{ source: projectDir, destination: PROJECT_ROOT }], {
        arch: input.arch,
        mtime,
        policy,
        skip: skipProjectPath,
      })
    : undefined;
  if (!tree && fixed.length === 0) return [];
  const key = keyOf(["python-app", tree?.key ?? null, fixed.map(describeEntry), input.compression]);
  const layer = await stack.make<PythonLayerMeta>(key, isPythonLayerMeta, () => {
    const meta: PythonLayerMeta = { tree: [], small: [], metadata: [] };
    const collector = new TreeCollector();
    async function* entries() {
      yield* collector.watch(applicationEntries(fixed, tree?.entries, mtime), "python-app");
      meta.tree = collector.nodes();
    }
    return { entries: entries(), meta };
  });
  const what = projectDir ? `the application at ${PROJECT_ROOT}` : "the venv";
  stack.push("python-app", layer, `cudaseal: ${what}`);
  return layer.meta.tree;
}

/** The fixed entries with their folders made once, then the project's tree. */
async function* applicationEntries(
  fixed: LayerEntry[],
  tree: AsyncIterable<LayerEntry> | undefined,
  mtime: number,
): AsyncIterable<LayerEntry> {
  const dirs = new Set<string>();
  for (const e of fixed) {
    for (const parent of parents(e.path)) {
      if (!dirs.has(parent)) {
        dirs.add(parent);
        yield dirEntry(parent, mtime);
      }
    }
    if (e.type === "directory") {
      if (dirs.has(e.path)) continue;
      dirs.add(e.path);
    }
    yield e;
  }
  if (tree) yield* tree;
}

function wheelBytes(group: WheelGroup): number {
  return group.wheels.reduce((n, w) => n + (w.size ?? 0), 0);
}
