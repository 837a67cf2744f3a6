// Paths inside an ImageTree, resolved as the kernel would inside the
// image's root: symlinks followed through the tree (never the host), at most
// 40 of them, and `..` that climbs past the root reported rather than
// clamped, so a hostile link or configuration line cannot name host files.

import type { ImageTree, TreeNode } from "./types.ts";

/** Linux gives up after this many symlinks in one lookup (ELOOP). */
const MAX_SYMLINKS = 40;

export type Resolved =
  | { kind: "found"; path: string; node: TreeNode }
  | { kind: "missing" }
  | { kind: "outside" }
  | { kind: "loop" };

/** The directory a canonical path names ("" for the root). */
export function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

/** A canonical path's last component. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** A canonical path (no leading slash) shown as the absolute path the image sees. */
export function absolute(path: string): string {
  return `/${path}`;
}

const childIndexes = new WeakMap<Map<string, TreeNode>, Map<string, string[]>>();

/** Each directory's entries by name, sorted by byte order; built once per tree. */
export function childrenOf(tree: ImageTree, dir: string): readonly string[] {
  let index = childIndexes.get(tree.nodes);
  if (!index) {
    const sets = new Map<string, Set<string>>();
    for (const path of tree.nodes.keys()) {
      let child = path;
      // Directories the tree only implies (a file under them, no entry) are listed too.
      while (child !== "") {
        const parent = parentOf(child);
        const names = sets.get(parent) ?? new Set<string>();
        sets.set(parent, names);
        const name = baseName(child);
        if (names.has(name)) break;
        names.add(name);
        child = parent;
      }
    }
    index = new Map([...sets].map(([d, names]) => [d, [...names].sort(byteOrder)]));
    childIndexes.set(tree.nodes, index);
  }
  return index.get(dir) ?? [];
}

/** strcmp order on the UTF-8 bytes, as glob(3) in the C locale sorts. */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function isDirectory(tree: ImageTree, path: string, node: TreeNode | undefined): boolean {
  if (path === "") return true;
  if (node) return node.type === "directory";
  return childrenOf(tree, path).length > 0;
}

/**
 * Resolve an absolute or canonical path inside the tree. Every symlink on
 * the way is followed; the last one only when `followLast` (stat rather
 * than lstat).
 */
export function resolvePath(tree: ImageTree, path: string, followLast = true): Resolved {
  const pending = path.split("/").reverse();
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.pop() as string;
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (done.length === 0) return { kind: "outside" };
      done.pop();
      continue;
    }
    const here = done.length === 0 ? part : `${done.join("/")}/${part}`;
    const node = tree.nodes.get(here);
    const last = !pending.some((p) => p !== "" && p !== ".");
    if (node?.type === "symlink" && (!last || followLast)) {
      if (++links > MAX_SYMLINKS) return { kind: "loop" };
      if (node.target.startsWith("/")) done.length = 0;
      pending.push(...node.target.split("/").reverse());
      continue;
    }
    if (!last && !isDirectory(tree, here, node)) return { kind: "missing" };
    if (last && node === undefined && !isDirectory(tree, here, node)) return { kind: "missing" };
    done.push(part);
  }
  const found = done.join("/");
  const node = tree.nodes.get(found) ?? { type: "directory" as const, mode: 0o755 };
  return { kind: "found", path: found, node };
}

/** The regular file a path leads to, following every link; undefined when there is none. */
export function fileAt(
  tree: ImageTree,
  path: string,
): { path: string; node: Extract<TreeNode, { type: "file" }> } | undefined {
  const r = resolvePath(tree, path);
  return r.kind === "found" && r.node.type === "file" ? { path: r.path, node: r.node } : undefined;
}
