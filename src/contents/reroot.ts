// An entry of a user's archive or image, moved under its destination,
// re-owned and re-moded as the spec says, and hardened like every other path.

import { parseMode, parseOwner } from "../assemble/system-layer.ts";
import type { LayerEntry } from "../layer/entry.ts";
import type { PathPolicy } from "../layer/path-policy.ts";
import type { TarEntry } from "../tar/reader.ts";

export interface RerootOptions {
  mtime: number;
  policy: PathPolicy;
  /** `uid:gid` for every entry, else the archive's own. */
  owner?: string;
  /** Octal mode for files, else the archive's own. */
  mode?: string;
}

/** `e` moved from under `from` (`` for the archive root) to under `to`. */
export function reroot(e: TarEntry, from: string, to: string, o: RerootOptions): LayerEntry {
  const move = (p: string) => {
    const rel = p === from ? "" : from ? p.slice(from.length + 1) : p;
    return rel ? (to ? `${to}/${rel}` : rel) : to;
  };
  const path = move(e.path);
  const owner = o.owner ? parseOwner(o.owner) : undefined;
  const mode = o.mode !== undefined && e.type === "file" ? parseMode(o.mode, e.mode) : e.mode;
  const linkMoves =
    e.type === "hardlink" && e.linkname !== undefined && (from === "" || e.linkname.startsWith(`${from}/`));
  return {
    path,
    type: e.type,
    mode: o.policy.mode(path, mode, e.type === "directory"),
    uid: owner?.uid ?? e.uid,
    gid: owner?.gid ?? e.gid,
    mtime: Math.min(e.mtime, o.mtime),
    size: e.type === "file" ? e.size : undefined,
    linkname: linkMoves ? move(e.linkname!) : e.linkname,
    body: e.type === "file" ? e.body : undefined,
  };
}
