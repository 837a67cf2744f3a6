// One file-system entry on its way into a layer.

export interface LayerEntry {
  /** Canonical path: relative, no leading `./` or `/`, no trailing slash. */
  path: string;
  type: "file" | "directory" | "symlink" | "hardlink";
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** Body size, for files. */
  size?: number;
  /** Link target, for symlinks and hardlinks. */
  linkname?: string;
  /** File body: whole bytes for small synthesized files, a stream for package payloads. */
  body?: Uint8Array | AsyncIterable<Uint8Array>;
}

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
