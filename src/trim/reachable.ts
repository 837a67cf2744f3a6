// Which shared libraries an image needs: those reachable from its roots (the
// entrypoint and the spec's trimRoots) through DT_NEEDED, found the way the
// dynamic loader finds them (DT_RUNPATH, else DT_RPATH, with $ORIGIN; then
// the default directories), plus the libraries CUDA libraries load with
// dlopen, which no ELF header names. A pure function of the file list.

import type { ElfDynamic } from "./elf.ts";

export interface TrimInput {
  /** Regular files: their dynamic section when ELF, null otherwise. Paths are canonical (no leading slash). */
  files: ReadonlyMap<string, ElfDynamic | null>;
  /** Symlinks: path → target as written. */
  symlinks: ReadonlyMap<string, string>;
  /** Root paths: files, or directories whose ELF files all count. */
  roots: readonly string[];
  multiarch: string;
}

export interface TrimPlan {
  /** Library files and symlinks to leave out. */
  remove: Set<string>;
  /** Libraries kept because something reaches them. */
  reached: Set<string>;
  /** Sonames a root or library needs that no file provides (left to the host, or missing). */
  unresolved: string[];
}

/** Libraries loaded with dlopen: when the key is kept, so are the matches. */
const DLOPENED: [RegExp, RegExp][] = [
  [/^libcublas\.so/, /^libcublasLt\.so/],
  [/^libnvrtc\.so/, /^libnvrtc-builtins\.so/],
  [/^libcudnn\.so/, /^libcudnn_[a-z_]+\.so/],
  [/^libcusolver\.so/, /^libcusolverMg\.so/],
  [/^libnvinfer\.so/, /^libnvinfer_builder_resource\.so/],
  [/^libc\.so/, /^libnss_(files|dns|compat)\.so/],
];

/** A shared library the trim may remove: `lib*.so*` directly in a library directory. */
export function isLibraryPath(path: string): boolean {
  return /^usr\/(?:local\/)?lib(?:64)?(?:\/[a-z0-9_]+-linux-gnu[a-z]*)?\/lib[^/]*\.so(?:\.[0-9][0-9.]*)?$/.test(
    path,
  );
}

export function planTrim(input: TrimInput): TrimPlan {
  const { files, symlinks } = input;
  const exists = (p: string) => files.has(p) || symlinks.has(p);
  const reached = new Set<string>();
  const keepLinks = new Set<string>();
  const unresolved = new Set<string>();
  const queue: string[] = [];

  /** Follow symlinks to a regular file, keeping every link on the way. */
  const realPath = (path: string): string | undefined => {
    let p = path;
    for (let hops = 0; hops < 40; hops++) {
      if (files.has(p)) return p;
      const target = symlinks.get(p);
      if (target === undefined) return undefined;
      keepLinks.add(p);
      p = normalize(target.startsWith("/") ? target.slice(1) : `${dirname(p)}/${target}`);
    }
    return undefined;
  };
  const reach = (path: string) => {
    const real = realPath(path);
    if (real === undefined || reached.has(real)) return;
    reached.add(real);
    queue.push(real);
  };
  const defaults = [
    `usr/lib/${input.multiarch}`,
    "usr/lib",
    `usr/local/lib/${input.multiarch}`,
    "usr/local/lib",
    "usr/lib64",
  ];

  for (const root of input.roots) {
    const r = normalize(root.replace(/^\/+/, ""));
    if (exists(r)) reach(r);
    else for (const f of files.keys()) if (f.startsWith(`${r}/`) && files.get(f)) reach(f);
  }
  // The dynamic loader is named by PT_INTERP, not DT_NEEDED: always keep it.
  for (const p of [...files.keys(), ...symlinks.keys()]) if (/\/ld-linux[^/]*\.so/.test(p)) reach(p);

  while (queue.length > 0) {
    const path = queue.pop()!;
    const dyn = files.get(path);
    if (!dyn) continue;
    const origin = dirname(path);
    const searched = (dyn.runpath.length ? dyn.runpath : dyn.rpath).map((d) =>
      normalize(d.replace(/\$\{?ORIGIN\}?/g, `/${origin}`).replace(/^\/+/, "")),
    );
    for (const soname of dyn.needed) {
      const dir = [...searched, ...defaults].find((d) => exists(`${d}/${soname}`));
      if (dir === undefined) unresolved.add(soname);
      else reach(`${dir}/${soname}`);
    }
    const base = path.slice(path.lastIndexOf("/") + 1);
    for (const [when, also] of DLOPENED) {
      if (!when.test(dyn.soname ?? base)) continue;
      for (const p of [...files.keys(), ...symlinks.keys()]) {
        if (also.test(p.slice(p.lastIndexOf("/") + 1)) && dirname(p) === origin) reach(p);
      }
    }
  }
  const remove = new Set<string>();
  for (const p of [...files.keys(), ...symlinks.keys()]) {
    if (isLibraryPath(p) && !reached.has(p) && !keepLinks.has(p)) remove.add(p);
  }
  return { remove, reached, unresolved: [...unresolved].sort() };
}

function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

/** Resolve `.` and `..` and fold the merged-/usr aliases into usr/. */
function normalize(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  if (parts.length && ["lib", "lib64", "bin", "sbin", "lib32", "libx32"].includes(parts[0]))
    parts.unshift("usr");
  return parts.join("/");
}
