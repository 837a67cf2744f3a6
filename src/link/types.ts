// The image as the dynamic loader sees it: every path of the final file
// system (after all layers), what each regular file is to the loader (an
// ELF object and its dynamic section, or a script naming an interpreter),
// and which package put it there. The build fills it from what each layer
// learnt as it was written; the ld.so.cache writer and the link check read
// it. Paths are canonical: relative to the root, no leading slash.

/** What the loader needs of an ELF file. */
export interface ElfFacts {
  /** ELFCLASS: 32 or 64. */
  bits: 32 | 64;
  /** e_machine (62 x86-64, 183 AArch64…). */
  machine: number;
  /** ET_DYN or ET_EXEC; a relocatable object or core file is not loaded. */
  type: "exec" | "dyn" | "other";
  /** PT_INTERP, for executables: the dynamic loader they name. */
  interpreter?: string;
  soname?: string;
  needed: string[];
  rpath: string[];
  runpath: string[];
  /**
   * x86-64 ISA level the object's GNU property note says it needs (2, 3,
   * 4 for x86-64-v2…v4), 0 or absent when unmarked; ldconfig stores it
   * with glibc-hwcaps entries.
   */
  isaLevel?: number;
}

export type TreeNode =
  | { type: "directory"; mode: number; owner?: string }
  | { type: "symlink"; target: string; owner?: string }
  | {
      type: "file";
      mode: number;
      size: number;
      /** Set for ELF files. */
      elf?: ElfFacts;
      /** `#!` line of a file that is not ELF: the interpreter path and its first argument. */
      shebang?: { interpreter: string; argument?: string };
      /** Text of small configuration files the loader reads (ld.so.conf and its includes). */
      text?: string;
      /** The package that shipped it, or "contents", "system", "python:NAME". */
      owner?: string;
    };

/** The merged file system of one image, for one architecture. */
export interface ImageTree {
  /** Debian architecture (amd64, arm64). */
  arch: string;
  /** Every path, canonical, to its node; whiteouts already applied. */
  nodes: Map<string, TreeNode>;
}
