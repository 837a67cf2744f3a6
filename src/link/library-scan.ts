// What ldconfig finds in its directories (elf/ldconfig.c search_dir): the
// ld.so.conf directories, then the trusted ones, each once by where it
// resolves; in each, the names that look like libraries whose file is a
// shared object of a class and machine this architecture's ldconfig knows.
// Each soname is cached as DIR/SONAME, the directory as first spelt; where
// that name is not already a link to the library, ldconfig would have made
// one, and cudaseal, which never changes the tree, lists it instead.

import { defaultLibraryDirectories, type LoaderArch, loaderArch } from "./arch.ts";
import { readLdConfDirectories } from "./ld-conf.ts";
import { libcmp } from "./lib-order.ts";
import { childrenOf, resolvePath } from "./tree-path.ts";
import type { ImageTree, TreeNode } from "./types.ts";

/** One line of ld.so.cache. */
export interface LdCacheEntry {
  soname: string;
  /** Absolute path the loader opens. */
  path: string;
  /** FLAG_ELF_LIBC6 with the architecture's bits (0x0303 for x86-64). */
  flags: number;
  /** 0 for everything cudaseal writes (no glibc-hwcaps entries). */
  hwcap: bigint;
}

/** A soname link ldconfig would have created: `path` (canonical) pointing at `target` (a name in the same directory). */
export interface SonameLink {
  path: string;
  target: string;
}

/** A directory ldconfig searches: as spelt (cache paths start with it) and where it resolves. */
export interface LibraryDirectory {
  path: string;
  canonical: string;
}

/** A library file as ldconfig sees it in one directory. */
export interface ScannedLibrary {
  dir: LibraryDirectory;
  /** The name in the directory (a file or a link to one). */
  name: string;
  /** The file it is, symlinks resolved (canonical). */
  file: string;
  soname: string;
  flags: number;
  isLink: boolean;
  owner?: string;
}

export interface LibraryScan {
  directories: LibraryDirectory[];
  /** Sorted as the cache stores them. */
  entries: LdCacheEntry[];
  links: SonameLink[];
  /** Every library file seen, before ldconfig keeps one per soname and directory. */
  libraries: ScannedLibrary[];
}

export interface ScanOptions {
  /** ld.so.conf's directories; default: read from the tree's /etc/ld.so.conf. */
  directories?: readonly string[];
}

/** The ldconfig directory list: ld.so.conf's, then the architecture's trusted ones, each once. */
export function libraryDirectories(tree: ImageTree, confDirectories?: readonly string[]): LibraryDirectory[] {
  const conf = confDirectories ?? readLdConfDirectories(tree).map((d) => d.path);
  const out: LibraryDirectory[] = [];
  const seen = new Set<string>();
  for (const path of [...conf, ...defaultLibraryDirectories(tree.arch)]) {
    const r = resolvePath(tree, path);
    if (r.kind !== "found" || r.node.type !== "directory" || seen.has(r.path)) continue;
    seen.add(r.path);
    out.push({ path: path.replace(/\/+$/, ""), canonical: r.path });
  }
  return out;
}

/** Run ldconfig's scan over the tree: the cache's entries and the links it would have made. */
export function scanLibraries(tree: ImageTree, options: ScanOptions = {}): LibraryScan {
  const arch = loaderArch(tree.arch);
  const directories = libraryDirectories(tree, options.directories);
  const added: LdCacheEntry[] = [];
  const links: SonameLink[] = [];
  const libraries: ScannedLibrary[] = [];
  for (const dir of directories) {
    const found = scanDirectory(tree, arch, dir);
    libraries.push(...found);
    for (const lib of keepOnePerSoname(found, arch.signedChar)) {
      if (!lib.isLink) {
        const link = sonameLink(tree, dir, lib);
        if (link) links.push(link);
      }
      added.push({ soname: lib.soname, path: `${dir.path}/${lib.soname}`, flags: lib.flags, hwcap: 0n });
    }
  }
  return { directories, entries: sortEntries(added, arch.signedChar), links, libraries };
}

/** Names ldconfig takes for libraries (elf/dl-is_dso.h), less the temporary files it skips. */
function looksLikeLibrary(name: string): boolean {
  const dso =
    ((name.startsWith("lib") || name.startsWith("ld-")) && name.includes(".so")) ||
    name.startsWith("ld.so.") ||
    name.startsWith("ld64.so.");
  if (!dso) return false;
  if (name.endsWith(".#prelink#") || /\.#prelink#\.[^/]{6}$/.test(name)) return false;
  return !name.includes(";") && !name.endsWith(".dpkg-new") && !name.endsWith(".dpkg-tmp");
}

function scanDirectory(tree: ImageTree, arch: LoaderArch, dir: LibraryDirectory): ScannedLibrary[] {
  const out: ScannedLibrary[] = [];
  for (const name of childrenOf(tree, dir.canonical)) {
    if (!looksLikeLibrary(name)) continue;
    const here = `${dir.canonical}/${name}`;
    const node = tree.nodes.get(here);
    let isLink = false;
    let file = here;
    let target: TreeNode | undefined = node;
    if (node?.type === "symlink") {
      const r = resolvePath(tree, here);
      if (r.kind !== "found") continue;
      isLink = true;
      file = r.path;
      target = r.node;
    }
    if (target?.type !== "file" || target.elf?.type !== "dyn") continue;
    const flags = arch.cacheFlags(target.elf.bits, target.elf.machine);
    if (flags === undefined) continue;
    let soname = target.elf.soname ?? name;
    // A link named for its soname, or the `libfoo.so` link for ld(1), is cached under its own name;
    // any other link counts as a library file of its own.
    if (isLink && name !== soname && !(name.endsWith(".so") && soname.startsWith(name))) isLink = false;
    if (isLink) soname = name;
    out.push({ dir, name, file, soname, flags, isLink, owner: target.owner });
  }
  return out;
}

/** ldconfig's choice among one directory's files with the same soname: a file over a link, else the higher name. */
function keepOnePerSoname(found: readonly ScannedLibrary[], signedChar: boolean): ScannedLibrary[] {
  const kept: ScannedLibrary[] = [];
  const bySoname = new Map<string, number>();
  const enc = (s: string) => Buffer.from(s);
  for (const lib of found) {
    const at = bySoname.get(lib.soname);
    if (at === undefined) {
      bySoname.set(lib.soname, kept.length);
      kept.push(lib);
      continue;
    }
    const old = kept[at];
    const newer =
      (!lib.isLink && old.isLink) ||
      (lib.isLink === old.isLink && libcmp(enc(old.name), enc(lib.name), signedChar) < 0);
    // ldconfig keeps the first one's flags when it takes the newer name.
    if (newer) kept[at] = { ...lib, flags: old.flags };
  }
  // ldconfig adds each directory's list newest first.
  return kept.reverse();
}

/** The link ldconfig's create_links would make, or undefined when DIR/SONAME already leads to the library. */
function sonameLink(tree: ImageTree, dir: LibraryDirectory, lib: ScannedLibrary): SonameLink | undefined {
  if (lib.name === lib.soname) return undefined;
  const path = `${dir.canonical}/${lib.soname}`;
  const existing = resolvePath(tree, path);
  if (existing.kind === "found") {
    if (existing.path === lib.file) return undefined;
    // ldconfig refuses to replace a file that is not a link.
    if (tree.nodes.get(path)?.type !== "symlink") return undefined;
  }
  return { path, target: lib.name };
}

/** ldconfig's order (elf/cache.c compare): soname descending by libcmp, then flags descending, then as added. */
export function sortEntries(entries: readonly LdCacheEntry[], signedChar: boolean): LdCacheEntry[] {
  const keyed = entries.map((e) => ({ e, k: Buffer.from(e.soname) }));
  keyed.sort((a, b) => libcmp(b.k, a.k, signedChar) || b.e.flags - a.e.flags);
  return keyed.map((x) => x.e);
}
