// Layer entries, and the small constructors the synthesized layers use.

import type { TarWriteEntry } from "../tar/writer.ts";

/**
 * One file-system entry on its way into a layer: exactly what the tar writer
 * takes. Paths are canonical (relative, no `./`, no trailing slash); a body
 * is whole bytes for small synthesized files, a stream for package payloads.
 */
export type LayerEntry = TarWriteEntry;

export function fileEntry(
  path: string,
  content: string | Uint8Array,
  mtime: number,
  mode = 0o644,
  uid = 0,
  gid = 0,
): LayerEntry {
  const body = typeof content === "string" ? Buffer.from(content) : content;
  return { path, type: "file", mode, uid, gid, mtime, size: body.length, body };
}

export function dirEntry(path: string, mtime: number, mode = 0o755, uid = 0, gid = 0): LayerEntry {
  return { path, type: "directory", mode, uid, gid, mtime };
}

export function symlinkEntry(path: string, target: string, mtime: number): LayerEntry {
  return { path, type: "symlink", mode: 0o777, uid: 0, gid: 0, mtime, linkname: target };
}

/** The parent directories of `path`, outermost first (`a/b/c` → `a`, `a/b`). */
export function parents(path: string): string[] {
  const parts = path.split("/");
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join("/"));
  return out;
}

export function byPath(a: LayerEntry, b: LayerEntry): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}
