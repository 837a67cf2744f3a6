// The shape of each layer's meta (what the build learnt while writing it),
// checked when it is read back from a cache rather than made here. A cache
// registry is not trusted: an entry whose blob checks out may still carry a
// meta that would throw where the build reads it, so every field the build
// reads is checked for its type. A meta that fails is the entry's lie
// (CACHE_ENTRY_POISONED), or a miss in the local cache.

import type { PackageLayerMeta } from "../assemble/package-layer.ts";
import type { TreeNode } from "../link/index.ts";
import type { SbomFile } from "../sbom/index.ts";
import type { TreeNodes } from "../tree/index.ts";

/** Whether a meta read from a cache has the shape its layer's builder writes. */
export type MetaCheck<M> = (meta: unknown) => meta is M;

type Rec = Record<string, unknown>;

const isRecord = (v: unknown): v is Rec => typeof v === "object" && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === "string";
const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const optional =
  (check: (v: unknown) => boolean) =>
  (v: unknown): boolean =>
    v === undefined || check(v);
const arrayOf =
  (check: (v: unknown) => boolean) =>
  (v: unknown): boolean =>
    Array.isArray(v) && v.every(check);
/** A tuple of strings, as the metas keep pairs and quadruples. */
const strings =
  (n: number) =>
  (v: unknown): boolean =>
    Array.isArray(v) && v.length === n && v.every(isString);
const fields = (v: unknown, checks: Record<string, (v: unknown) => boolean>): v is Rec =>
  isRecord(v) && Object.entries(checks).every(([name, check]) => check(v[name]));

const isElf = (v: unknown): boolean =>
  fields(v, {
    bits: (b) => b === 32 || b === 64,
    machine: isNumber,
    type: (t) => t === "exec" || t === "dyn" || t === "other",
    interpreter: optional(isString),
    soname: optional(isString),
    needed: arrayOf(isString),
    rpath: arrayOf(isString),
    runpath: arrayOf(isString),
    isaLevel: optional(isNumber),
  });

function isTreeNode(v: unknown): v is TreeNode {
  if (!isRecord(v) || !optional(isString)(v.owner)) return false;
  switch (v.type) {
    case "directory":
      return isNumber(v.mode);
    case "symlink":
      return isString(v.target);
    case "file":
      return fields(v, {
        mode: isNumber,
        size: isNumber,
        elf: optional(isElf),
        shebang: optional((s) => fields(s, { interpreter: isString, argument: optional(isString) })),
        text: optional(isString),
      });
    default:
      return false;
  }
}

export const isTreeNodes = (v: unknown): v is TreeNodes =>
  arrayOf((n) => Array.isArray(n) && n.length === 2 && isString(n[0]) && isTreeNode(n[1]))(v);

const isSbomFile = (v: unknown): v is SbomFile =>
  fields(v, { path: isString, sha256: isString, sha1: isString });

/** The root and system layers' meta. */
export const isTreeMeta: MetaCheck<{ tree: TreeNodes }> = (v): v is { tree: TreeNodes } =>
  fields(v, { tree: isTreeNodes });

/** The contents layer's meta. */
export const isContentsMeta: MetaCheck<{ files: SbomFile[]; tree: TreeNodes }> = (
  v,
): v is { files: SbomFile[]; tree: TreeNodes } =>
  fields(v, { files: arrayOf(isSbomFile), tree: isTreeNodes });

/** A package layer's meta. */
export const isPackageLayerMeta: MetaCheck<PackageLayerMeta> = (v): v is PackageLayerMeta =>
  fields(v, {
    packages: arrayOf((p) =>
      fields(p, { name: isString, version: isString, arch: isString, files: isNumber, bytes: isNumber }),
    ),
    paths: arrayOf(isString),
    keptBytes: isNumber,
    dropped: (d) =>
      isRecord(d) &&
      Object.values(d).every((c) => c === undefined || fields(c, { files: isNumber, bytes: isNumber })),
    caCerts: arrayOf(strings(2)),
    alternatives: arrayOf((a) =>
      fields(a, { link: isString, name: isString, path: isString, priority: isNumber }),
    ),
    newestMtime: isNumber,
    copyrights: arrayOf(strings(2)),
    files: arrayOf(strings(4)),
    tree: isTreeNodes,
  });

/** A Python layer's meta: its tree, [path, sha256] of its small files, [wheel, METADATA text]. */
export const isPythonLayerMeta = (
  v: unknown,
): v is { tree: TreeNodes; small: [string, string][]; metadata: [string, string][] } =>
  fields(v, { tree: isTreeNodes, small: arrayOf(strings(2)), metadata: arrayOf(strings(2)) });
