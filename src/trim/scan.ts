// The first pass of `trim: elf`: read every package's file list and the
// dynamic sections of its ELF files, without writing anything. Each ELF file
// is read only as far as its dynamic string table; the rest is skipped.

import { lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import type { LockedPackage } from "../apt/types.ts";
import { openDeb } from "../deb/deb-reader.ts";
import { CudasealError } from "../errors.ts";
import { canonicalPath, isMergedUsrAlias, type PathPolicy } from "../layer/path-policy.ts";
import type { SpecContent } from "../spec/types.ts";
import { regularFileStream } from "../util/read-regular-file.ts";
import { type ElfDynamic, type ElfLayout, elfLayout, readDynamic } from "./elf.ts";

/** ELF headers needing more than this are treated as unreadable. */
const MAX_ELF_PREFIX = 32 * 1024 * 1024;

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

/**
 * The dynamic section of an ELF file streaming by. The string table lies
 * near the start (kept, up to a cap); the dynamic section itself may sit
 * after hundreds of megabytes of code, so its bytes are picked out of the
 * stream as they pass, and nothing else is held.
 */
async function readElf(body: AsyncIterable<Buffer>, path: string, pkg: string): Promise<ElfDynamic | null> {
  const head: Buffer[] = [];
  let headLength = 0;
  let pos = 0;
  let layout: ElfLayout | undefined;
  let dyn: Buffer | undefined;
  let headBuf: Buffer | undefined;
  const headBytes = () => {
    headBuf = headBuf?.length === headLength ? headBuf : Buffer.concat(head, headLength);
    return headBuf;
  };
  for await (const chunk of body) {
    const start = pos;
    pos += chunk.length;
    if (headLength < MAX_ELF_PREFIX) {
      const keep = chunk.subarray(0, MAX_ELF_PREFIX - headLength);
      head.push(keep);
      headLength += keep.length;
    }
    if (!layout) {
      const l = elfLayout(headBytes());
      if (l.kind === "not-elf") return null;
      if (l.kind === "need") {
        if (l.bytes > MAX_ELF_PREFIX) return unreadable(pkg, path);
        continue;
      }
      layout = l.layout;
      if (layout.dynSize === 0) return { needed: [], rpath: [], runpath: [] };
      dyn = Buffer.alloc(layout.dynSize);
    }
    // Copy the part of this chunk that falls inside the dynamic section.
    const from = Math.max(start, layout.dynOffset);
    const to = Math.min(pos, layout.dynOffset + layout.dynSize);
    if (dyn && from < to) chunk.copy(dyn, from - layout.dynOffset, from - start, to - start);
    if (pos >= layout.dynOffset + layout.dynSize && dyn) {
      const prefix = headBytes();
      const d = readDynamic(layout, dyn, (o, n) =>
        o + n <= prefix.length ? prefix.subarray(o, o + n) : undefined,
      );
      return "need" in d ? unreadable(pkg, path) : d;
    }
  }
  // Too short to hold program headers: not something the loader could map.
  if (!layout) return null;
  return unreadable(pkg, path);
}

function unreadable(pkg: string, path: string): never {
  throw new CudasealError("BUILD_FAILED", `${pkg}: cannot read the ELF dynamic section of /${path}`, {
    hint: "the file is truncated or its string table lies far into it; build without trim: elf",
  });
}
