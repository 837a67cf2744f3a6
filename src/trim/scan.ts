// The first pass of `trim: elf`: read every package's file list and the
// dynamic sections of its ELF files, without writing anything. Each ELF file
// is read only as far as its dynamic string table (elf-stream.ts); the rest
// is skipped.

import { lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import type { LockedPackage } from "../apt/types.ts";
import { openDeb } from "../deb/deb-reader.ts";
import { CudasealError } from "../errors.ts";
import { canonicalPath, isMergedUsrAlias, type PathPolicy } from "../layer/path-policy.ts";
import type { SpecContent } from "../spec/types.ts";
import { regularFileStream } from "../util/read-regular-file.ts";
import type { ElfDynamic } from "./elf.ts";
import { readElfFile } from "./elf-stream.ts";

export interface ScanResult {
  files: Map<string, ElfDynamic | null>;
  symlinks: Map<string, string>;
}

export async function scanPackages(
  packages: readonly { pkg: LockedPackage; path: string }[],
  policy: PathPolicy,
  into: ScanResult = { files: new Map(), symlinks: new Map() },
): Promise<ScanResult> {
  for (const { pkg, path } of packages) {
    const deb = await openDeb(await regularFileStream(path, "package"), { packageName: pkg.name });
    for await (const entry of deb.entries) {
      const p = canonicalPath(entry.path);
      if (p === "" || isMergedUsrAlias(entry.path) || policy.dropReason(p, entry.type === "directory")) {
        await entry.skip();
        continue;
      }
      if (entry.type === "symlink" && entry.linkname !== undefined) into.symlinks.set(p, entry.linkname);
      else if (entry.type === "file") into.files.set(p, await readElf(entry.body, p, pkg.name));
      await entry.skip();
    }
  }
  return into;
}

/** Local files in the spec's contents (the user's binary is usually the entrypoint). */
export async function scanLocalContents(contents: readonly SpecContent[], into: ScanResult): Promise<void> {
  const visit = async (abs: string, rel: string): Promise<void> => {
    const info = await lstat(abs);
    if (info.isDirectory()) {
      for (const name of (await readdir(abs)).sort())
        await visit(join(abs, name), rel ? `${rel}/${name}` : name);
    } else if (info.isSymbolicLink()) {
      into.symlinks.set(rel, await readlink(abs));
    } else if (info.isFile()) {
      // Streamed as a package's files are: a binary of gigabytes is never held whole.
      into.files.set(rel, await readElf(await regularFileStream(abs, "contents file"), rel, "contents"));
    }
  };
  for (const c of contents) {
    if (c.source) await visit(c.source, c.destination.replace(/^\/+/, "").replace(/\/+$/, ""));
  }
}

/** The dynamic section of an ELF file streaming by; null for a file the loader never maps. */
async function readElf(body: AsyncIterable<Buffer>, path: string, pkg: string): Promise<ElfDynamic | null> {
  const elf = await readElfFile(body);
  if (elf === "unreadable") return unreadable(pkg, path);
  if (elf === null || elf.type === "other") return null;
  return { soname: elf.soname, needed: elf.needed, rpath: elf.rpath, runpath: elf.runpath };
}

function unreadable(pkg: string, path: string): never {
  throw new CudasealError("BUILD_FAILED", `${pkg}: cannot read the ELF dynamic section of /${path}`, {
    hint: "the file is truncated or its string table lies far into it; build without trim: elf",
  });
}
