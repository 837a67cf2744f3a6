// Shared libraries an image holds twice: the same soname from two places,
// typically a CUDA library from a Debian package (libcublas12 in
// /usr/lib/x86_64-linux-gnu) and again from a wheel (nvidia-cublas-cu12 in
// site-packages/nvidia/cublas/lib). Both are shipped and pulled, and which
// one a process loads depends on RPATHs and load order; the build reports
// every such pair, with sizes, so the user can choose one source
// (docs/python.md). Read from the image tree the layers' nodes make, so a
// copy is known by its ELF's own soname, not by its file name.

import type { ImageTree } from "../link/index.ts";

/** One copy of a library: where, how big, and what put it there. */
export interface LibraryCopy {
  path: string;
  size: number;
  /** A Debian package's name, `python:NAME` for a wheel, `contents`, or absent when unknown. */
  owner?: string;
}

export interface DuplicateLibrary {
  soname: string;
  copies: LibraryCopy[];
  /** The bytes of every copy but the largest: what choosing one source would save. */
  extraBytes: number;
}

/**
 * Every soname more than one shared object in `tree` names as its own
 * (DT_SONAME), wherever it lies: the loader's directories and site-packages
 * alike. Links are not copies: only regular files count.
 */
export function duplicateLibraries(tree: ImageTree): DuplicateLibrary[] {
  const bySoname = new Map<string, LibraryCopy[]>();
  for (const [path, node] of tree.nodes) {
    if (node.type !== "file" || node.elf?.type !== "dyn" || !node.elf.soname) continue;
    const copies = bySoname.get(node.elf.soname) ?? [];
    copies.push({
      path: `/${path}`,
      size: node.size,
      ...(node.owner === undefined ? {} : { owner: node.owner }),
    });
    bySoname.set(node.elf.soname, copies);
  }
  const out: DuplicateLibrary[] = [];
  for (const [soname, copies] of bySoname) {
    if (copies.length < 2) continue;
    copies.sort((a, b) => (a.path < b.path ? -1 : 1));
    const sizes = copies.map((c) => c.size);
    out.push({ soname, copies, extraBytes: sizes.reduce((n, s) => n + s, 0) - Math.max(...sizes) });
  }
  return out.sort((a, b) => b.extraBytes - a.extraBytes || (a.soname < b.soname ? -1 : 1));
}
