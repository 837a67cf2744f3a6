// Where the loader finds a DT_NEEDED name (glibc elf/dl-load.c
// _dl_map_object), for one object's direct needs: a name with a slash is a
// path; otherwise DT_RPATH (only when the object has no DT_RUNPATH),
// LD_LIBRARY_PATH, DT_RUNPATH, the cache, then the trusted directories.
// $ORIGIN, $LIB and $PLATFORM are expanded. The DT_RPATH of the objects
// that load this one (up to the executable) is tried by the caller, which
// knows who loads whom (resolveThroughLoader). A candidate counts only when it
// is, after symlinks inside the tree, a shared object of the object's own
// class and machine, as the loader skips the rest and looks further. The
// driver's libraries the container runtime mounts count as present.

import type { LoaderArch } from "./arch.ts";
import { isHostLibrary } from "./host-libraries.ts";
import type { LdCacheEntry } from "./library-scan.ts";
import { fileAt, parentOf } from "./tree-path.ts";
import type { ElfFacts, ImageTree } from "./types.ts";

export interface ResolveContext {
  tree: ImageTree;
  arch: LoaderArch;
  /** The cache's entries, in the cache's order. */
  cache: readonly LdCacheEntry[];
  /** The trusted directories, absolute. */
  defaultDirectories: readonly string[];
  /** LD_LIBRARY_PATH the image sets, absolute directories. */
  libraryPath: readonly string[];
}

/** How a needed name was found: the file (canonical path), or the driver's library from the host. */
export type Resolution =
  | { kind: "file"; path: string; via: "path" | "rpath" | "runpath" | "cache" | "default" | "library-path" }
  | { kind: "host" };

/** $ORIGIN, $LIB and $PLATFORM in an rpath entry, as the loader expands them (also in braces). */
export function expandTokens(entry: string, originDir: string, arch: LoaderArch): string {
  return entry.replace(
    /\$(?:\{(ORIGIN|LIB|PLATFORM)\}|(ORIGIN|LIB|PLATFORM)(?![A-Za-z0-9_]))/g,
    (_m, a, b) => {
      const name = a ?? b;
      if (name === "ORIGIN") return `/${originDir}`.replace(/\/$/, "") || "/";
      if (name === "LIB") return `lib/${arch.triplet}`;
      return arch.platform;
    },
  );
}

const cacheIndexes = new WeakMap<readonly LdCacheEntry[], Map<string, LdCacheEntry>>();

/**
 * The entry the loader takes for each kind and soname: the first. If that
 * file fails, the loader goes on to the trusted directories, not to the
 * next entry. glibc-hwcaps entries serve only CPUs that have the level, so
 * the plain entry decides.
 */
function cacheIndex(cache: readonly LdCacheEntry[]): Map<string, LdCacheEntry> {
  let index = cacheIndexes.get(cache);
  if (!index) {
    index = new Map();
    for (const e of cache) {
      const key = `${e.flags}:${e.soname}`;
      if (e.hwcap === 0n && !index.has(key)) index.set(key, e);
    }
    cacheIndexes.set(cache, index);
  }
  return index;
}

/** True when the file at `path` is a shared object the loader would map into `object`. */
function loadable(ctx: ResolveContext, path: string, object: ElfFacts): string | undefined {
  const found = fileAt(ctx.tree, path);
  const elf = found?.node.elf;
  if (!found || !elf || elf.type !== "dyn" || elf.bits !== object.bits || elf.machine !== object.machine)
    return undefined;
  return found.path;
}

function inDirectories(
  ctx: ResolveContext,
  dirs: readonly string[],
  name: string,
  object: ElfFacts,
): string | undefined {
  for (const dir of dirs) {
    // An empty or relative entry means the process's working directory, unknown here.
    if (!dir.startsWith("/")) continue;
    const hit = loadable(ctx, `${dir}/${name}`, object);
    if (hit) return hit;
  }
  return undefined;
}

/** Resolve one DT_NEEDED name of the object at `path` (canonical); undefined when the loader would fail. */
export function resolveNeeded(
  ctx: ResolveContext,
  path: string,
  object: ElfFacts,
  name: string,
): Resolution | undefined {
  if (name.includes("/")) {
    const hit = loadable(ctx, name, object);
    return hit ? { kind: "file", path: hit, via: "path" } : undefined;
  }
  const origin = parentOf(path);
  const expand = (dirs: readonly string[]) => dirs.map((d) => expandTokens(d, origin, ctx.arch));
  const steps: [
    Exclude<Extract<Resolution, { kind: "file" }>["via"], "path" | "cache">,
    readonly string[],
  ][] = [
    ["rpath", object.runpath.length === 0 ? expand(object.rpath) : []],
    ["library-path", ctx.libraryPath],
    ["runpath", expand(object.runpath)],
  ];
  for (const [via, dirs] of steps) {
    const hit = inDirectories(ctx, dirs, name, object);
    if (hit) return { kind: "file", path: hit, via };
  }
  const flags = ctx.arch.cacheFlags(object.bits, object.machine);
  const entry = flags === undefined ? undefined : cacheIndex(ctx.cache).get(`${flags}:${name}`);
  const cached = entry && loadable(ctx, entry.path, object);
  if (cached) return { kind: "file", path: cached, via: "cache" };
  const hit = inDirectories(ctx, ctx.defaultDirectories, name, object);
  if (hit) return { kind: "file", path: hit, via: "default" };
  return isHostLibrary(name) ? { kind: "host" } : undefined;
}

/**
 * The inherited step of the search: an object without DT_RUNPATH also
 * searches the DT_RPATH of each object up its loading chain that has no
 * DT_RUNPATH itself, $ORIGIN being that object's folder.
 */
export function resolveThroughLoader(
  ctx: ResolveContext,
  loaderPath: string,
  loader: ElfFacts,
  object: ElfFacts,
  name: string,
): string | undefined {
  if (
    object.runpath.length > 0 ||
    loader.runpath.length > 0 ||
    loader.rpath.length === 0 ||
    name.includes("/")
  )
    return undefined;
  const origin = parentOf(loaderPath);
  return inDirectories(
    ctx,
    loader.rpath.map((d) => expandTokens(d, origin, ctx.arch)),
    name,
    object,
  );
}
