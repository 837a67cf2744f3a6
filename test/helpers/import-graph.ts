// The import graph of a source tree, read with TypeScript's own parser, and
// the two rules the architecture test holds it to: folders form no cycle,
// and a folder that declares an index.ts is entered only through it.
//
// A folder is the first path segment under the root. A file directly under
// the root (errors.ts) is a node of its own, named by its file name: such
// files are imported from everywhere, so if one ever imported a folder back
// the loop it closed must show, which treating it as a bare leaf would hide.

import { readdir, readFile } from "node:fs/promises";
import { join, posix, relative, sep } from "node:path";
import ts from "typescript";

/** One import of one file by another, both relative to the root (posix separators). */
export interface ImportEdge {
  from: string;
  to: string;
  specifier: string;
  line: number;
  /**
   * True for `import type`, `export type` and `import("…")` in a type: these
   * vanish at run time. `import { type A }` is not one: the module still loads.
   */
  typeOnly: boolean;
}

/** A module specifier as written in a file. */
export interface ImportSite {
  specifier: string;
  line: number;
  typeOnly: boolean;
}

/** A dynamic import whose module is computed, which no reading of the source can follow. */
export interface OpaqueImport {
  file: string;
  line: number;
}

export interface ImportGraph {
  /** Every .ts file under the root, sorted. */
  files: string[];
  /** Every import from one file under the root to another, in file then line order. */
  edges: ImportEdge[];
  /** Folders that hold an index.ts directly. */
  indexFolders: Set<string>;
  opaque: OpaqueImport[];
}

/** The folder a root-relative path belongs to: its first segment, or the file name for a top-level file. */
export function folderOf(path: string): string {
  const slash = path.indexOf("/");
  return slash === -1 ? path : path.slice(0, slash);
}

/** The module specifiers one file imports, statically, by re-export, or by `import("…")`. */
export function fileImports(fileName: string, text: string): { sites: ImportSite[]; opaqueLines: number[] } {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const sites: ImportSite[] = [];
  const opaqueLines: number[] = [];
  const lineOf = (node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const add = (literal: ts.Node, typeOnly: boolean) => {
    if (ts.isStringLiteralLike(literal))
      sites.push({ specifier: literal.text, line: lineOf(literal), typeOnly });
    else opaqueLines.push(lineOf(literal));
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      add(node.moduleSpecifier, node.importClause?.isTypeOnly === true);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      add(node.moduleSpecifier, node.isTypeOnly);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [first] = node.arguments;
      if (first === undefined) opaqueLines.push(lineOf(node));
      else add(first, false);
    } else if (ts.isImportTypeNode(node)) {
      const argument = node.argument;
      if (ts.isLiteralTypeNode(argument)) add(argument.literal, true);
      else opaqueLines.push(lineOf(node));
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { sites, opaqueLines };
}

/** Reads every .ts file under `root` and the imports between them; imports that leave the root are dropped. */
export async function readImportGraph(root: string): Promise<ImportGraph> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join("/"))
    .sort();
  const known = new Set(files);
  const edges: ImportEdge[] = [];
  const opaque: OpaqueImport[] = [];
  for (const file of files) {
    const { sites, opaqueLines } = fileImports(file, await readFile(join(root, file), "utf8"));
    for (const line of opaqueLines) opaque.push({ file, line });
    for (const site of sites) {
      if (!site.specifier.startsWith("./") && !site.specifier.startsWith("../")) continue;
      const to = posix.normalize(posix.join(posix.dirname(file), site.specifier));
      if (to.startsWith("../")) continue;
      if (!known.has(to))
        throw new Error(`${file}:${site.line} imports ${site.specifier}, which is not a file`);
      edges.push({ from: file, to, ...site });
    }
  }
  const indexFolders = new Set(files.filter((f) => /^[^/]+\/index\.ts$/.test(f)).map(folderOf));
  return { files, edges, indexFolders, opaque };
}

/** A loop between folders; `steps[i]` leads from `folders[i]` to the next folder (wrapping round). */
export interface FolderCycle {
  folders: string[];
  /** Canonical name: "a → b → a", starting from the alphabetically first folder. */
  key: string;
  steps: FolderStep[];
}

/** The imports that lead from one folder to another; `example` is the one to show. */
export interface FolderStep {
  from: string;
  to: string;
  example: ImportEdge;
  edges: ImportEdge[];
}

/** Imports from one folder into another, grouped by folder pair (key "from\0to"). */
export function folderSteps(graph: ImportGraph): Map<string, FolderStep> {
  const steps = new Map<string, FolderStep>();
  for (const edge of graph.edges) {
    const from = folderOf(edge.from);
    const to = folderOf(edge.to);
    if (from === to) continue;
    const key = `${from}\0${to}`;
    const step = steps.get(key);
    if (step === undefined) steps.set(key, { from, to, example: edge, edges: [edge] });
    else {
      step.edges.push(edge);
      // A run-time import shows the loop better than a type-only one.
      if (step.example.typeOnly && !edge.typeOnly) step.example = edge;
    }
  }
  return steps;
}

/** The canonical name of a loop through `folders` (without the closing repeat). */
export function cycleKey(folders: readonly string[]): string {
  let start = 0;
  for (let i = 1; i < folders.length; i++) if (folders[i] < folders[start]) start = i;
  const rotated = [...folders.slice(start), ...folders.slice(0, start)];
  return [...rotated, rotated[0]].join(" → ");
}

/**
 * Every folder edge that lies on a loop, shown in the shortest loop it closes.
 * Listing all elementary cycles could run to thousands in a tangled graph;
 * one shortest loop per edge still names every import that has to move.
 */
export function folderCycles(graph: ImportGraph): FolderCycle[] {
  const steps = folderSteps(graph);
  const next = new Map<string, string[]>();
  for (const { from, to } of steps.values()) next.set(from, [...(next.get(from) ?? []), to]);
  for (const targets of next.values()) targets.sort();
  const cycles = new Map<string, FolderCycle>();
  for (const { from, to } of [...steps.values()].sort((a, b) => cmp(a.from, b.from) || cmp(a.to, b.to))) {
    const back = shortestPath(next, to, from);
    if (back === undefined) continue;
    const folders = [from, ...back.slice(0, -1)];
    const key = cycleKey(folders);
    if (cycles.has(key)) continue;
    const start = folders.indexOf(key.slice(0, key.indexOf(" ")));
    const ordered = [...folders.slice(start), ...folders.slice(0, start)];
    cycles.set(key, {
      folders: ordered,
      key,
      steps: ordered.map((f, i) => steps.get(`${f}\0${ordered[(i + 1) % ordered.length]}`)!),
    });
  }
  return [...cycles.values()].sort((a, b) => a.folders.length - b.folders.length || cmp(a.key, b.key));
}

/** Breadth-first, neighbours in name order, so the same graph always gives the same path. */
function shortestPath(next: Map<string, string[]>, from: string, to: string): string[] | undefined {
  const parent = new Map<string, string>([[from, from]]);
  const queue = [from];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i];
    if (node === to) {
      const path = [to];
      for (let at = to; at !== from; ) {
        at = parent.get(at)!;
        path.unshift(at);
      }
      return path;
    }
    for (const n of next.get(node) ?? []) {
      if (parent.has(n)) continue;
      parent.set(n, node);
      queue.push(n);
    }
  }
  return undefined;
}

/** An import from another folder into a file of a folder that declares an index.ts, other than the index. */
export interface IndexReach {
  /** "importer → imported". */
  key: string;
  folder: string;
  edge: ImportEdge;
}

/** Every such import, once per importing file and imported file. */
export function indexReaches(graph: ImportGraph): IndexReach[] {
  const reaches = new Map<string, IndexReach>();
  for (const edge of graph.edges) {
    const folder = folderOf(edge.to);
    if (folder === folderOf(edge.from) || !graph.indexFolders.has(folder)) continue;
    if (edge.to === `${folder}/index.ts`) continue;
    const key = `${edge.from} → ${edge.to}`;
    if (!reaches.has(key)) reaches.set(key, { key, folder, edge });
  }
  return [...reaches.values()];
}

/**
 * What differs between the violations found and a list of accepted ones:
 * those not accepted, and accepted ones that no longer occur (so the list can
 * only shrink).
 */
export function againstKnown(
  found: readonly string[],
  known: readonly string[],
): { unexpected: string[]; gone: string[] } {
  const seen = new Set(found);
  const accepted = new Set(known);
  return {
    unexpected: found.filter((key) => !accepted.has(key)),
    gone: known.filter((key) => !seen.has(key)),
  };
}

/** A loop as lines a reader can act on: one concrete import per step; paths get `prefix`. */
export function describeCycle(cycle: FolderCycle, prefix = ""): string {
  const lines = [cycle.key];
  for (const step of cycle.steps) {
    const e = step.example;
    const more = step.edges.length > 1 ? ` (and ${step.edges.length - 1} more)` : "";
    const kind = e.typeOnly ? " [types only]" : "";
    lines.push(
      `  ${step.from} → ${step.to}: ${prefix}${e.from}:${e.line} imports ${e.specifier}${kind}${more}`,
    );
  }
  return lines.join("\n");
}

export function describeReach(reach: IndexReach, prefix = ""): string {
  const e = reach.edge;
  return `${prefix}${e.from}:${e.line} imports ${e.specifier}, past ${prefix}${reach.folder}/index.ts`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
