// The link check: every object the loader would map finds each DT_NEEDED
// and its PT_INTERP inside the image, and every executable script finds
// its interpreter. A pure function over the tree: it returns the problems,
// the files it did not check (never loaded, or for another machine) and
// sonames two packages both provide; the caller decides what fails.

import { compileGlobs } from "../layer/glob.ts";
import { defaultLibraryDirectories, loaderArch } from "./arch.ts";
import { type LdCacheEntry, type LibraryScan, type SonameLink, scanLibraries } from "./library-scan.ts";
import { type ResolveContext, resolveNeeded, resolveThroughLoader } from "./resolve.ts";
import { fileAt, parentOf } from "./tree-path.ts";
import type { ElfFacts, ImageTree, TreeNode } from "./types.ts";

export interface LinkProblem {
  /** The file that cannot start or load (canonical path). */
  path: string;
  /** needed: a DT_NEEDED library; loader: an ELF file's PT_INTERP; interpreter: a script's `#!`. */
  kind: "needed" | "interpreter" | "loader";
  /** The soname, loader path or interpreter that is not in the image. */
  missing: string;
  /** The package that shipped the file. */
  owner?: string;
}

/** An ELF file the check left alone, and why. */
export interface SkippedFile {
  path: string;
  reason: "not-loaded" | "debug" | "kernel-module" | "firmware" | "object-file" | "other-machine";
  owner?: string;
}

/** Different files in the cache's directories with the same soname, shipped by different owners. */
export interface SonameConflict {
  soname: string;
  files: { path: string; owner?: string }[];
}

export interface LinkCheckOptions {
  /** Globs of sonames, missing paths or image paths whose problems are waived (the spec's allow.unresolved). */
  waive?: readonly string[];
  /** ld.so.conf's directories; default read from the tree. */
  directories?: readonly string[];
  /**
   * The cache the image will have. By default the one cudaseal writes for
   * this tree, with the soname links ldconfig would have made taken as made.
   */
  cache?: readonly LdCacheEntry[];
  /** LD_LIBRARY_PATH of the image's config, split. */
  libraryPath?: readonly string[];
  /** Where `#!/usr/bin/env NAME` looks for NAME. */
  path?: readonly string[];
}

export interface LinkCheckResult {
  problems: LinkProblem[];
  /** Problems a waiver matched. */
  waived: LinkProblem[];
  skipped: SkippedFile[];
  conflicts: SonameConflict[];
}

const DEFAULT_PATH = ["/usr/bin", "/bin", "/usr/local/bin"];

/** The tree with the soname links ldconfig would have made added (what the build adds to the image). */
export function withSonameLinks(tree: ImageTree, links: readonly SonameLink[]): ImageTree {
  if (links.length === 0) return tree;
  const nodes = new Map(tree.nodes);
  for (const l of links) {
    const owner = (nodes.get(`${parentOf(l.path)}/${l.target}`) as { owner?: string } | undefined)?.owner;
    nodes.set(l.path, { type: "symlink", target: l.target, owner });
  }
  return { arch: tree.arch, nodes };
}

/** Check every file in the tree; throws only for an ld.so.conf cudaseal cannot read or an unknown architecture. */
export function checkLinks(input: ImageTree, options: LinkCheckOptions = {}): LinkCheckResult {
  const arch = loaderArch(input.arch);
  const scan = scanLibraries(input, { directories: options.directories });
  const tree = options.cache ? input : withSonameLinks(input, scan.links);
  const ctx: ResolveContext = {
    tree,
    arch,
    cache: options.cache ?? scan.entries,
    defaultDirectories: defaultLibraryDirectories(input.arch),
    libraryPath: options.libraryPath ?? [],
  };
  const found: LinkProblem[] = [];
  const skipped: SkippedFile[] = [];
  const objects = new Map<string, FileNode>();
  for (const [path, node] of input.nodes) {
    if (node.type !== "file") continue;
    if (node.elf) {
      const reason = skipReason(path, node, arch);
      if (reason) skipped.push({ path, reason, owner: node.owner });
      else objects.set(path, node);
    } else if (node.shebang && (node.mode & 0o111) !== 0) {
      const missing = missingInterpreter(tree, node.shebang, options.path ?? DEFAULT_PATH);
      if (missing) found.push({ path, kind: "interpreter", missing, owner: node.owner });
    }
  }
  found.push(...checkObjects(ctx, objects));
  found.sort((a, b) => cmp(a.path, b.path) || cmp(a.kind, b.kind) || cmp(a.missing, b.missing));
  skipped.sort((a, b) => cmp(a.path, b.path));
  const waiver = compileGlobs(options.waive ?? []);
  const waived = (p: LinkProblem) => waiver(p.missing.replace(/^\/+/, "")) || waiver(p.path);
  return {
    problems: found.filter((p) => !waived(p)),
    waived: found.filter(waived),
    skipped,
    conflicts: sonameConflicts(scan),
  };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

type FileNode = Extract<TreeNode, { type: "file" }>;

function skipReason(
  path: string,
  node: FileNode,
  arch: ReturnType<typeof loaderArch>,
): SkippedFile["reason"] | undefined {
  const under = (dir: string) => path.startsWith(`${dir}/`) || path.startsWith(`usr/${dir}/`);
  if (under("lib/debug")) return "debug";
  if (under("lib/modules") || /\.ko(\.(xz|gz|zst))?$/.test(path)) return "kernel-module";
  if (under("lib/firmware")) return "firmware";
  if (path.endsWith(".o")) return "object-file";
  const elf = node.elf as NonNullable<FileNode["elf"]>;
  if (elf.type === "other") return "not-loaded";
  if (elf.bits !== arch.bits || elf.machine !== arch.machine) return "other-machine";
  return undefined;
}

/** PT_INTERP and DT_NEEDED of every object, the latter also through the objects that load it. */
function checkObjects(ctx: ResolveContext, objects: ReadonlyMap<string, FileNode>): LinkProblem[] {
  const problems: LinkProblem[] = [];
  const unresolved = new Map<string, { path: string; node: FileNode }[]>();
  const graph: LoadGraph = {
    objects,
    loads: new Map(),
    loaded: new Set(),
    found: new Map(),
    starts: new Set(),
  };
  for (const [path, node] of objects) {
    const elf = node.elf as ElfFacts;
    if (elf.interpreter && !fileAt(ctx.tree, elf.interpreter))
      problems.push({ path, kind: "loader", missing: elf.interpreter, owner: node.owner });
    const found = new Set<string>();
    const loads: string[] = [];
    for (const name of new Set(elf.needed)) {
      const r = resolveNeeded(ctx, path, elf, name);
      if (!r) {
        const list = unresolved.get(name) ?? [];
        unresolved.set(name, list);
        list.push({ path, node });
        continue;
      }
      found.add(name);
      if (r.kind === "file" && r.path !== path && objects.has(r.path)) {
        loads.push(r.path);
        graph.loaded.add(r.path);
      }
    }
    graph.found.set(path, found);
    graph.loads.set(path, loads);
  }
  graph.starts = chainStarts(graph);
  for (const [name, objectsMissing] of unresolved) {
    const chains = new ChainsWithout(ctx, graph, name);
    for (const { path, node } of objectsMissing) {
      if (chains.reach(path)) problems.push({ path, kind: "needed", missing: name, owner: node.owner });
    }
  }
  return problems;
}

interface LoadGraph {
  objects: ReadonlyMap<string, FileNode>;
  /** What each object loads (the files its DT_NEEDED resolve to). */
  loads: Map<string, string[]>;
  /** Objects some other object loads. */
  loaded: Set<string>;
  /** The names each object finds itself. */
  found: Map<string, Set<string>>;
  /** Where loading chains start (chainStarts). */
  starts: Set<string>;
}

/**
 * The objects a loading chain may start at: those nothing loads (a
 * program, or a library only dlopen'd), and those no such chain reaches
 * (libraries that load only one another), which can only be dlopen'd.
 */
function chainStarts(graph: LoadGraph): Set<string> {
  const starts = new Set<string>();
  for (const path of graph.objects.keys()) if (!graph.loaded.has(path)) starts.add(path);
  const reachable = new Set(starts);
  const queue = [...starts];
  for (let i = 0; i < queue.length; i++) {
    for (const next of graph.loads.get(queue[i]) ?? []) {
      if (reachable.has(next)) continue;
      reachable.add(next);
      queue.push(next);
    }
  }
  for (const path of graph.objects.keys()) if (!reachable.has(path)) starts.add(path);
  return starts;
}

/**
 * Whether some loading chain reaches an object without providing `name`
 * on the way. An object provides it to those it loads when it finds the
 * name itself (the loader then has it loaded already: a program that needs
 * both a library and what that library needs) or, for an object without
 * DT_RUNPATH, when its DT_RPATH finds it (DT_RPATH is inherited down the
 * chain, DT_RUNPATH is not). Chains start where chainStarts says. Each
 * name's walk is one pass over
 * the graph, from every start, through objects that do not provide it.
 */
class ChainsWithout {
  #reached = new Map<boolean, Set<string>>();
  readonly ctx: ResolveContext;
  readonly graph: LoadGraph;
  readonly name: string;

  constructor(ctx: ResolveContext, graph: LoadGraph, name: string) {
    this.ctx = ctx;
    this.graph = graph;
    this.name = name;
  }

  /** True when a chain reaches `path` with `name` nowhere on it, so the loader fails there. */
  reach(path: string): boolean {
    if (this.graph.starts.has(path)) return true;
    const object = this.graph.objects.get(path)?.elf as ElfFacts;
    // DT_RPATH up the chain counts only for an object without DT_RUNPATH.
    const rpathCounts = object.runpath.length === 0;
    let reached = this.#reached.get(rpathCounts);
    if (!reached) {
      reached = this.#walk(rpathCounts, object);
      this.#reached.set(rpathCounts, reached);
    }
    return reached.has(path);
  }

  #provides(loaderPath: string, rpathCounts: boolean, object: ElfFacts): boolean {
    if (this.graph.found.get(loaderPath)?.has(this.name)) return true;
    if (!rpathCounts) return false;
    const loader = this.graph.objects.get(loaderPath)?.elf as ElfFacts;
    return resolveThroughLoader(this.ctx, loaderPath, loader, object, this.name) !== undefined;
  }

  #walk(rpathCounts: boolean, object: ElfFacts): Set<string> {
    const reached = new Set<string>();
    const expanded = new Set<string>();
    const queue = [...this.graph.starts];
    for (let i = 0; i < queue.length; i++) {
      const here = queue[i];
      if (expanded.has(here) || this.#provides(here, rpathCounts, object)) continue;
      expanded.add(here);
      for (const next of this.graph.loads.get(here) ?? []) {
        reached.add(next);
        if (!expanded.has(next)) queue.push(next);
      }
    }
    return reached;
  }
}

/** The interpreter a script names that is not in the image, or undefined when it is. */
function missingInterpreter(
  tree: ImageTree,
  shebang: NonNullable<FileNode["shebang"]>,
  path: readonly string[],
): string | undefined {
  const interpreter = shebang.interpreter;
  if (!fileAt(tree, interpreter)) return interpreter;
  if (!/(^|\/)env$/.test(interpreter) || !shebang.argument) return undefined;
  const name = envCommand(shebang.argument);
  if (name === undefined) return undefined;
  if (name.includes("/")) return fileAt(tree, name) ? undefined : name;
  return path.some((dir) => fileAt(tree, `${dir}/${name}`)) ? undefined : name;
}

/** The command `env` runs from a `#!` argument: past options (-S splits the rest) and NAME=VALUE settings. */
function envCommand(argument: string): string | undefined {
  const words = argument.split(/[ \t]+/).filter(Boolean);
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w.startsWith("-S") && w.length > 2) return envCommand(w.slice(2));
    if (w === "-u" || w === "--unset" || w === "-C" || w === "--chdir") {
      i++;
      continue;
    }
    if (w.startsWith("-") || /^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) continue;
    return w;
  }
  return undefined;
}

function sonameConflicts(scan: LibraryScan): SonameConflict[] {
  const bySoname = new Map<string, Map<string, string | undefined>>();
  for (const lib of scan.libraries) {
    // A glibc-hwcaps variant is meant to share its soname with the plain library.
    if (lib.isLink || lib.dir.hwcaps) continue;
    const files = bySoname.get(lib.soname) ?? new Map<string, string | undefined>();
    bySoname.set(lib.soname, files);
    files.set(lib.file, lib.owner);
  }
  const out: SonameConflict[] = [];
  for (const [soname, files] of bySoname) {
    if (new Set(files.values()).size < 2) continue;
    out.push({
      soname,
      files: [...files].map(([path, owner]) => ({ path, owner })).sort((a, b) => cmp(a.path, b.path)),
    });
  }
  return out.sort((a, b) => cmp(a.soname, b.soname));
}
