// The first pass of `trim: elf`: read every package's file list and the
// dynamic sections of its ELF files, without writing anything. Each ELF file
// is read only as far as its dynamic string table; the rest is skipped.

import { createReadStream } from "node:fs";
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import type { LockedPackage } from "../apt/types.ts";
import { openDeb } from "../deb/deb-reader.ts";
import { CudasealError } from "../errors.ts";
import { canonicalPath, isMergedUsrAlias, type PathPolicy } from "../layer/path-policy.ts";
import type { SpecContent } from "../spec/types.ts";
import { type ElfDynamic, parseElf } from "./elf.ts";

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
    const deb = await openDeb(createReadStream(path), { packageName: pkg.name });
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
      const head = await readFile(abs);
      const parsed = parseElf(head);
      into.files.set(rel, parsed.kind === "elf" ? parsed.dynamic : null);
    }
  };
  for (const c of contents) {
    if (c.source) await visit(c.source, c.destination.replace(/^\/+/, "").replace(/\/+$/, ""));
  }
}

async function readElf(body: AsyncIterable<Buffer>, path: string, pkg: string): Promise<ElfDynamic | null> {
  const chunks: Buffer[] = [];
  let have = 0;
  let want = 64;
  for await (const chunk of body) {
    chunks.push(chunk);
    have += chunk.length;
    if (have < want) continue;
    const buf = Buffer.concat(chunks);
    chunks.length = 0;
    chunks.push(buf);
    const parsed = parseElf(buf);
    if (parsed.kind === "not-elf") return null;
    if (parsed.kind === "elf") return parsed.dynamic;
    want = parsed.bytes;
    if (want > MAX_ELF_PREFIX) {
      throw new CudasealError("BUILD_FAILED", `${pkg}: cannot read the ELF dynamic section of /${path}`, {
        hint: "its string table lies far into the file; build without trim: elf",
      });
    }
  }
  if (have === 0) return null;
  const parsed = parseElf(Buffer.concat(chunks));
  return parsed.kind === "elf" ? parsed.dynamic : null;
}
