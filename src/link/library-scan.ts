// What ldconfig finds in its directories (elf/ldconfig.c search_dir): the
// ld.so.conf directories, then the trusted ones, each once by where it
// resolves; in each, the names that look like libraries whose file is a
// shared object of a class and machine this architecture's ldconfig knows.
// Each soname is cached as DIR/SONAME, the directory as first spelt; where
// that name is not already a link to the library, ldconfig would have made
// one, and cudaseal, which never changes the tree, lists it instead.
// A directory's glibc-hwcaps/NAME subdirectories are searched too (right
// after it); their files are cached under their own names, tagged with the
// subdirectory (and the ISA level the file says it needs).

import { defaultLibraryDirectories, type LoaderArch, loaderArch } from "./arch.ts";
import { readLdConfDirectories } from "./ld-conf.ts";
import { libcmp } from "./lib-order.ts";
import { byteOrder, childrenOf, resolvePath } from "./tree-path.ts";
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
  /** For DIR/glibc-hwcaps/NAME: NAME. */
  hwcaps?: string;
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
  isaLevel: number;
  owner?: string;
}

export interface LibraryScan {
  directories: LibraryDirectory[];
  /** Sorted as the cache stores them. */
  entries: LdCacheEntry[];
  links: SonameLink[];
  /** Every library file seen, before ldconfig keeps one per soname and directory. */
  libraries: ScannedLibrary[];
  /** glibc-hwcaps subdirectory names with entries, sorted: an entry's hwcap holds its index here. */
  hwcaps: string[];
  /** Every glibc-hwcaps subdirectory name met, used or not: ldconfig puts each in the string table. */
  hwcapsSeen: string[];
}

export interface ScanOptions {
  /** ld.so.conf's directories; default: read from the tree's /etc/ld.so.conf. */
  directories?: readonly string[];
}

const GLIBC_HWCAPS = "glibc-hwcaps";
/** DL_CACHE_HWCAP_EXTENSION: the entry's hwcap names a glibc-hwcaps subdirectory. */
const HWCAP_EXTENSION = 1n << 62n;
/** ISA levels above this do not fit the hwcap field (DL_CACHE_HWCAP_ISA_LEVEL_MASK). */
const MAX_ISA_LEVEL = (1 << 10) - 1;

/**
 * The ldconfig directory list: ld.so.conf's, then the architecture's
 * trusted ones, each once; each new one followed by its glibc-hwcaps
 * subdirectories.
 */
function libraryDirectories(
  tree: ImageTree,
  confDirectories?: readonly string[],
): { directories: LibraryDirectory[]; hwcapsSeen: string[] } {
  const conf = confDirectories ?? readLdConfDirectories(tree).map((d) => d.path);
  const directories: LibraryDirectory[] = [];
  const hwcapsSeen = new Set<string>();
  const seen = new Set<string>();
  const add = (dir: LibraryDirectory) => {
    if (seen.has(dir.canonical)) return false;
    seen.add(dir.canonical);
    directories.push(dir);
    return true;
  };
  for (const spelt of [...conf, ...defaultLibraryDirectories(tree.arch)]) {
    const path = spelt.replace(/\/+$/, "");
    const r = resolvePath(tree, path);
    if (r.kind !== "found" || r.node.type !== "directory" || !add({ path, canonical: r.path })) continue;
    const hw = resolvePath(tree, `${r.path}/${GLIBC_HWCAPS}`);
    if (hw.kind !== "found" || hw.node.type !== "directory") continue;
    for (const name of childrenOf(tree, hw.path)) {
      if (name.startsWith(".") || name.includes(":") || tree.nodes.get(`${hw.path}/${name}`)?.type === "file")
        continue;
      const sub = resolvePath(tree, `${hw.path}/${name}`);
      if (sub.kind !== "found" || sub.node.type !== "directory") continue;
      hwcapsSeen.add(name);
      add({ path: `${path}/${GLIBC_HWCAPS}/${name}`, canonical: sub.path, hwcaps: name });
    }
  }
  return { directories, hwcapsSeen: [...hwcapsSeen] };
}

interface Added {
  entry: LdCacheEntry;
  hwcaps?: string;
  isaLevel: number;
}

/** Run ldconfig's scan over the tree: the cache's entries and the links it would have made. */
export function scanLibraries(tree: ImageTree, options: ScanOptions = {}): LibraryScan {
  const arch = loaderArch(tree.arch);
  const { directories, hwcapsSeen } = libraryDirectories(tree, options.directories);
  const added: Added[] = [];
  const links: SonameLink[] = [];
  const libraries: ScannedLibrary[] = [];
  for (const dir of directories) {
    const found = scanDirectory(tree, arch, dir);
    libraries.push(...found);
    for (const lib of keepOnePerSoname(found, arch.signedChar)) {
      if (!lib.isLink && !dir.hwcaps) {
        const link = sonameLink(tree, dir, lib);
        if (link) links.push(link);
      }
      // Outside glibc-hwcaps the cache names the soname (the link); inside, the file itself.
      const name = dir.hwcaps ? lib.name : lib.soname;
      added.push({
        entry: { soname: lib.soname, path: `${dir.path}/${name}`, flags: lib.flags, hwcap: 0n },
        hwcaps: dir.hwcaps,
        isaLevel: lib.isaLevel,
      });
    }
  }
  const hwcaps = [...new Set(added.flatMap((a) => (a.hwcaps ? [a.hwcaps] : [])))].sort(byteOrder);
  for (const a of added) {
    if (a.hwcaps === undefined) continue;
    const isa = BigInt(Math.min(Math.max(a.isaLevel, 0), MAX_ISA_LEVEL));
    a.entry.hwcap = HWCAP_EXTENSION | (isa << 32n) | BigInt(hwcaps.indexOf(a.hwcaps));
  }
  return {
    directories,
    entries: sortEntries(added, arch.signedChar),
    links,
    libraries,
    hwcaps,
    hwcapsSeen,
  };
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
    const here = `${dir.canonical}/${name}`;
    const node = tree.nodes.get(here);
    // In glibc-hwcaps subdirectories a link with any name counts.
    if (!looksLikeLibrary(name) && (node?.type === "file" || !dir.hwcaps)) continue;
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
    // A soname is a file name: with a slash (`../../etc/x`) the loader never looks it up in the
    // cache, and the soname link ldconfig would make would climb out of the folder.
    if (soname.includes("/") || soname === "" || soname === "." || soname === "..") continue;
    // A link named for its soname, or the `libfoo.so` link for ld(1), is cached under its own name;
    // any other link counts as a library file of its own.
    if (isLink && name !== soname && !(name.endsWith(".so") && soname.startsWith(name))) isLink = false;
    if (isLink) soname = name;
    out.push({
      dir,
      name,
      file,
      soname,
      flags,
      isLink,
      isaLevel: target.elf.isaLevel ?? 0,
      owner: target.owner,
    });
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

/**
 * ldconfig's order (elf/cache.c compare): soname descending by libcmp,
 * flags descending, glibc-hwcaps entries before the others and by
 * subdirectory name, then as added.
 */
function sortEntries(added: readonly Added[], signedChar: boolean): LdCacheEntry[] {
  const keyed = added.map((a) => ({ a, k: Buffer.from(a.entry.soname) }));
  keyed.sort(
    (x, y) =>
      libcmp(y.k, x.k, signedChar) ||
      y.a.entry.flags - x.a.entry.flags ||
      (x.a.hwcaps === undefined ? 1 : 0) - (y.a.hwcaps === undefined ? 1 : 0) ||
      (x.a.hwcaps !== undefined && y.a.hwcaps !== undefined ? byteOrder(x.a.hwcaps, y.a.hwcaps) : 0),
  );
  return keyed.map((x) => x.a.entry);
}
