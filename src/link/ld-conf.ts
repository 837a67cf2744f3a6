// /etc/ld.so.conf as ldconfig reads it (elf/ldconfig.c parse_conf): `#`
// starts a comment, `include` takes glob patterns (relative ones against
// the including file's folder, matches read in C-locale order), `hwcap`
// lines are ignored, anything else is a directory. Read from the tree,
// never the host: a path that climbs out of the root, itself or through a
// symlink, is refused, and so is an include that comes back to a file
// still being read (ldconfig would recurse until it crashed), or a glob
// whose matches multiply through symlinks back to a folder it searched.

import { CudasealError } from "../errors.ts";
import { byteOrder, childrenOf, resolvePath } from "./tree-path.ts";
import type { ImageTree } from "./types.ts";

/** ld.so.conf files read through includes, at most: a bound for hostile trees. */
const MAX_CONF_FILES = 4096;
/** Directory lines kept, at most. */
const MAX_DIRECTORIES = 4096;
/** Paths one include glob may hold at any step: symlinks back to a folder multiply them without end. */
const MAX_GLOB_PATHS = 65536;

export interface LdConfDirectory {
  /** The directory as written, trailing slashes removed: what the cache's paths start with. */
  path: string;
  /** Where it is in the tree, symlinks resolved. */
  canonical: string;
  /** The file and line that named it. */
  from: string;
  line: number;
}

export interface ReadLdConfOptions {
  /** The top file; default /etc/ld.so.conf. */
  file?: string;
}

/**
 * The directories ld.so.conf names, in order, each once (by where it
 * resolves, as ldconfig compares inodes: the first spelling is kept).
 * Directories that do not exist are left out, as ldconfig leaves them.
 */
export function readLdConf(tree: ImageTree, options: ReadLdConfOptions = {}): string[] {
  return readLdConfDirectories(tree, options).map((d) => d.path);
}

/** readLdConf with where each directory resolves and which line named it. */
export function readLdConfDirectories(tree: ImageTree, options: ReadLdConfOptions = {}): LdConfDirectory[] {
  const state: ReadState = { tree, dirs: [], seen: new Set(), stack: [], files: 0 };
  readConfFile(state, options.file ?? "/etc/ld.so.conf");
  return state.dirs;
}

interface ReadState {
  tree: ImageTree;
  dirs: LdConfDirectory[];
  seen: Set<string>;
  /** Canonical paths of the files being read, outermost first. */
  stack: string[];
  files: number;
}

function outside(path: string, from: string): CudasealError {
  return new CudasealError(
    "LDCONF_PATH_OUTSIDE",
    `${from} names ${path}, which leads outside the image's root`,
    {
      hint: "ld.so.conf and its includes may only name paths inside the image; fix the line or the symlink it passes",
      details: { path, from },
    },
  );
}

function readConfFile(state: ReadState, file: string): void {
  const r = resolvePath(state.tree, file);
  if (r.kind === "outside") throw outside(file, state.stack.at(-1) ? `/${state.stack.at(-1)}` : file);
  // ldconfig ignores a configuration file it cannot open.
  if (r.kind !== "found" || r.node.type !== "file") return;
  if (state.stack.includes(r.path)) {
    const chain = [...state.stack.slice(state.stack.indexOf(r.path)), r.path].map((p) => `/${p}`);
    throw new CudasealError("LDCONF_INCLUDE_LOOP", `ld.so.conf includes loop: ${chain.join(" → ")}`, {
      hint: "remove the include line that leads back to a file already being read",
      details: { chain },
    });
  }
  if (++state.files > MAX_CONF_FILES)
    throw new CudasealError("LDCONF_INCLUDE_LOOP", `ld.so.conf includes more than ${MAX_CONF_FILES} files`, {
      hint: "reduce the includes in ld.so.conf",
    });
  state.stack.push(r.path);
  const lines = (r.node.text ?? "").split("\n");
  for (let i = 0; i < lines.length; i++) readConfLine(state, file, i + 1, lines[i]);
  state.stack.pop();
}

const isSpace = (c: string | undefined) => c !== undefined && " \t\n\v\f\r".includes(c);
const isBlank = (c: string | undefined) => c === " " || c === "\t";

function readConfLine(state: ReadState, file: string, lineno: number, raw: string): void {
  const hash = raw.indexOf("#");
  let line = hash < 0 ? raw : raw.slice(0, hash);
  let start = 0;
  while (isSpace(line[start])) start++;
  line = line.slice(start);
  if (line === "") return;
  if (line.startsWith("include") && isBlank(line[7])) {
    for (const word of line.slice(8).split(/[ \t]/)) if (word !== "") readInclude(state, file, word);
    return;
  }
  if (line.slice(0, 5).toLowerCase() === "hwcap" && isBlank(line[5])) return;
  addDirectory(state, line, file, lineno);
}

function addDirectory(state: ReadState, line: string, from: string, lineno: number): void {
  let end = line.length;
  while (end > 0 && isSpace(line[end - 1])) end--;
  while (end > 0 && line[end - 1] === "/") end--;
  const path = line.slice(0, end);
  // A relative directory would give the cache relative paths the loader cannot use.
  if (!path.startsWith("/")) return;
  const r = resolvePath(state.tree, path);
  if (r.kind === "outside") throw outside(path, from);
  if (r.kind !== "found" || r.node.type !== "directory" || state.seen.has(r.path)) return;
  if (state.dirs.length >= MAX_DIRECTORIES) return;
  state.seen.add(r.path);
  state.dirs.push({ path, canonical: r.path, from, line: lineno });
}

function readInclude(state: ReadState, file: string, pattern: string): void {
  const full = pattern.startsWith("/") ? pattern : `${file.slice(0, file.lastIndexOf("/") + 1)}${pattern}`;
  for (const match of globTree(state.tree, full, file)) readConfFile(state, match);
}

const MAGIC = /[*?[]/;

/** glob(3) with no flags over the tree: matches of each magic component sorted, hidden names only by a leading dot. */
function globTree(tree: ImageTree, pattern: string, from: string): string[] {
  let prefixes = [""];
  const parts = pattern.split("/").filter((p) => p !== "");
  for (const part of parts) {
    if (!MAGIC.test(part)) {
      prefixes = prefixes.map((p) => `${p}/${part}`);
      continue;
    }
    const re = fnmatchRegExp(part);
    const next: string[] = [];
    for (const prefix of prefixes) {
      const dir = resolvePath(tree, prefix === "" ? "/" : prefix);
      if (dir.kind === "outside") throw outside(prefix, from);
      if (dir.kind !== "found" || dir.node.type !== "directory") continue;
      for (const name of childrenOf(tree, dir.path)) {
        if (name.startsWith(".") && !part.startsWith(".")) continue;
        if (re.test(name)) next.push(`${prefix}/${name}`);
      }
      if (next.length > MAX_GLOB_PATHS)
        throw new CudasealError(
          "LDCONF_INCLUDE_LOOP",
          `${from}: include ${pattern} matches more than ${MAX_GLOB_PATHS} paths`,
          {
            hint: "the pattern passes symlinks that lead back to a folder it already searched; name the files, or fix the links",
            details: { pattern, from },
          },
        );
    }
    prefixes = next;
  }
  const found: string[] = [];
  for (const p of prefixes) {
    const r = resolvePath(tree, p, false);
    if (r.kind === "outside") throw outside(p, from);
    if (r.kind === "found") found.push(p);
  }
  return found.sort(byteOrder);
}

/** One path component's fnmatch pattern: `*`, `?`, bracket expressions, backslash escapes. */
function fnmatchRegExp(part: string): RegExp {
  let out = "";
  for (let i = 0; i < part.length; i++) {
    const c = part[i];
    if (c === "*") out += ".*";
    else if (c === "?") out += ".";
    else if (c === "\\" && i + 1 < part.length) out += escapeRegExp(part[++i]);
    else if (c === "[") {
      const close = part.indexOf("]", i + (part[i + 1] === "!" || part[i + 1] === "^" ? 3 : 2));
      if (close < 0) {
        out += "\\[";
        continue;
      }
      let body = part.slice(i + 1, close);
      const negate = body.startsWith("!") || body.startsWith("^");
      if (negate) body = body.slice(1);
      out += `[${negate ? "^" : ""}${body.replace(/[\\\]^]/g, "\\$&")}]`;
      i = close;
    } else out += escapeRegExp(c);
  }
  return new RegExp(`^${out}$`, "s");
}

function escapeRegExp(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
