// The composition of an image's final file system: a tree of layer →
// package → folder → file with sizes, and what each layer added. Every
// regular file is counted, but the tree keeps only so many nodes (a
// 2,000-package image must still make a page of a few MB): each package
// keeps its largest folders and, in each, its largest files; the rest of a
// folder, and the rest of a package's folders, become one "rest" node each,
// so sizes always add up.

import { posix } from "node:path";
import { isCudaLibraryFile } from "../compare/index.ts";
import { fileOwners } from "../source/file-owners.ts";
import type { ImageFilesystem } from "../source/filesystem.ts";
import type { InstalledPackage } from "../source/packages.ts";
import type { PythonPackage } from "../source/python-packages.ts";
import type { LayerInfo, TreeNode } from "./model.ts";

/** The package name files no package database claims go under. */
const NO_PACKAGE = "(no package)";
/** About how many nodes the tree may hold below the packages. */
const NODE_BUDGET = 24_000;
const MAX_FOLDERS = 12;
const MAX_FILES = 6;
const TOP_PACKAGES = 8;
export interface CompositionInput {
  fs: ImageFilesystem;
  packages: readonly InstalledPackage[];
  python: readonly PythonPackage[];
  layers: readonly { digest: string; size: number }[];
  config: Record<string, unknown>;
  name: string;
  /** The CUDA library packages, as compare finds them (by source or by the libraries they ship). */
  cudaPackages: ReadonlySet<string>;
}

interface Folder {
  size: number;
  files: [string, number][];
}

/** The tree and the layer list of one image. */
export function composition(input: CompositionInput): { tree: TreeNode; layers: LayerInfo[] } {
  const owner = ownerOf(input);
  // layer → package → folder → files
  const groups = new Map<number, Map<string, Map<string, Folder>>>();
  for (const [path, info] of input.fs.files) {
    if (info.type !== "file") continue;
    const pkg = owner(path);
    const byPackage = getOr(groups, info.layer, () => new Map<string, Map<string, Folder>>());
    const byFolder = getOr(byPackage, pkg, () => new Map<string, Folder>());
    const folder = getOr(byFolder, posix.dirname(path), () => ({ size: 0, files: [] }));
    folder.size += info.size;
    folder.files.push([posix.basename(path), info.size]);
  }
  const packageCount = [...groups.values()].reduce((n, m) => n + m.size, 0);
  const perPackage = Math.max(3, Math.floor(NODE_BUDGET / Math.max(1, packageCount)));
  const history = layerHistory(input.config, input.layers.length);
  const layers: LayerInfo[] = [];
  const layerNodes: TreeNode[] = [];
  for (const [index, layer] of input.layers.entries()) {
    const byPackage = groups.get(index) ?? new Map<string, Map<string, Folder>>();
    const packages = [...byPackage].map(([name, folders]) =>
      packageNode(name, folders, perPackage, input.cudaPackages),
    );
    packages.sort(bySizeThenName);
    const size = sum(packages);
    let files = 0;
    for (const folders of byPackage.values()) for (const f of folders.values()) files += f.files.length;
    layers.push({
      index,
      digest: layer.digest,
      compressedSize: layer.size,
      ...(history[index] === undefined ? {} : { createdBy: history[index] }),
      files,
      size,
      topPackages: packages.slice(0, TOP_PACKAGES).map((p) => ({ name: p.name, size: p.size })),
    });
    const node: TreeNode = { name: `layer ${index}`, kind: "layer", size, children: packages };
    if (packages.some((p) => p.cuda)) node.cuda = true;
    layerNodes.push(node);
  }
  return { tree: { name: input.name, kind: "image", size: sum(layerNodes), children: layerNodes }, layers };
}

/** Which package owns a path: the package databases first, then Python's RECORD files. */
function ownerOf(input: CompositionInput): (path: string) => string {
  const names = new Set(input.packages.map((p) => p.name));
  const { owners, canonical } = fileOwners(input.fs, names);
  const python = new Map<string, string>();
  for (const p of input.python) for (const f of p.files ?? []) python.set(f, `${p.name} (Python)`);
  return (path) => {
    const found = owners.get(canonical(path));
    if (found !== undefined && found.size > 0) return [...found].sort()[0];
    return python.get(path) ?? NO_PACKAGE;
  };
}

/** One package's node: its largest folders, each with its largest files, the rest summed. */
function packageNode(
  name: string,
  folders: Map<string, Folder>,
  budget: number,
  cudaPackages: ReadonlySet<string>,
): TreeNode {
  const sorted = [...folders].sort(([a, x], [b, y]) => y.size - x.size || cmp(a, b));
  const maxFolders = Math.max(1, Math.min(MAX_FOLDERS, Math.floor(budget / 3)));
  const maxFiles = Math.max(1, Math.min(MAX_FILES, Math.floor(budget / maxFolders) - 1));
  const children: TreeNode[] = sorted
    .slice(0, maxFolders)
    .map(([path, folder]) => folderNode(path, folder, maxFiles));
  const rest = sorted.slice(maxFolders);
  if (rest.length > 0) {
    const files = rest.reduce((n, [, f]) => n + f.files.length, 0);
    children.push({
      name: `${rest.length} more folders (${files} files)`,
      kind: "rest",
      size: rest.reduce((n, [, f]) => n + f.size, 0),
    });
  }
  const node: TreeNode = { name, kind: "package", size: sum(children), children };
  if (cudaPackages.has(name) || children.some((c) => c.cuda)) node.cuda = true;
  return node;
}

function folderNode(path: string, folder: Folder, maxFiles: number): TreeNode {
  const files = [...folder.files].sort(([a, x], [b, y]) => y - x || cmp(a, b));
  const children: TreeNode[] = files.slice(0, maxFiles).map(([name, size]) => {
    const leaf: TreeNode = { name, kind: "file", size };
    if (isCudaLibraryFile(name)) leaf.cuda = true;
    return leaf;
  });
  const rest = files.slice(maxFiles);
  if (rest.length > 0) {
    children.push({
      name: `${rest.length} more files`,
      kind: "rest",
      size: rest.reduce((n, [, s]) => n + s, 0),
    });
  }
  const node: TreeNode = { name: path, kind: "folder", size: folder.size, children };
  if (children.some((c) => c.cuda)) node.cuda = true;
  return node;
}

/** The created_by of each layer, from the config's history (empty_layer entries have no layer). */
function layerHistory(config: Record<string, unknown>, count: number): (string | undefined)[] {
  const history = Array.isArray(config.history) ? (config.history as unknown[]) : [];
  const out: (string | undefined)[] = [];
  for (const h of history) {
    if (typeof h !== "object" || h === null) continue;
    const entry = h as { created_by?: unknown; empty_layer?: unknown };
    if (entry.empty_layer === true) continue;
    out.push(typeof entry.created_by === "string" ? entry.created_by.slice(0, 500) : undefined);
  }
  // A history that does not line up with the layers says nothing reliable of them.
  return out.length === count ? out : [];
}

function getOr<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = make();
    map.set(key, v);
  }
  return v;
}

function sum(nodes: readonly TreeNode[]): number {
  return nodes.reduce((n, c) => n + c.size, 0);
}

function bySizeThenName(a: TreeNode, b: TreeNode): number {
  return b.size - a.size || cmp(a.name, b.name);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
