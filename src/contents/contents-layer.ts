// The user's contents: local files and directories, tarballs, and paths
// copied out of another image (a multi-stage build's COPY --from). They form
// the last layer, keyed by a hash of their bytes and metadata so that the
// layer is rebuilt exactly when they change.

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import { hashFile } from "../cache/content-store.ts";
import { CudasealError } from "../errors.ts";
import { dirEntry, type LayerEntry, parents } from "../layer/entry.ts";
import type { PathPolicy } from "../layer/path-policy.ts";
import type { SpecContent } from "../spec/types.ts";
import { parseMode, parseOwner } from "../assemble/system-layer.ts";
import { tarballEntries } from "./tarball.ts";
import { imagePathEntries } from "./image-copy.ts";

export interface ContentsOptions {
  arch: string;
  mtime: number;
  policy: PathPolicy;
}

/** Local files are read twice (hash, then write): cap them to keep that honest. */
const MAX_LOCAL_FILES = 200_000;

interface Planned {
  entry: LayerEntry;
  /** Where a file's body comes from when the layer is written. */
  source?: string;
}

export async function contentsLayerEntries(
  contents: readonly SpecContent[],
  options: ContentsOptions,
): Promise<{ key: string; entries: AsyncIterable<LayerEntry> }> {
  const planned = new Map<string, Planned>();
  const keyHash = createHash("sha256");
  const put = (p: Planned) => {
    for (const parent of parents(p.entry.path)) {
      if (!planned.has(parent)) planned.set(parent, { entry: dirEntry(parent, options.mtime) });
    }
    planned.set(p.entry.path, p);
  };
  for (const item of contents) {
    const dest = destPath(item.destination);
    const owner = parseOwner(item.owner);
    if (item.source !== undefined) {
      for (const p of await walkLocal(item.source, dest, options.mtime)) {
        const mode = item.mode !== undefined && p.entry.type !== "symlink" ? parseMode(item.mode, 0o644) : p.entry.mode;
        put({ ...p, entry: { ...p.entry, ...owner, mode: options.policy.mode(p.entry.path, mode, p.entry.type === "directory") } });
      }
    } else if (item.tarball !== undefined) {
      keyHash.update(`tarball ${item.tarball} ${await hashFile(item.tarball)}\n`);
      // Tarball bodies stream at write time; the key covers the archive's hash.
      put({ entry: { path: `\0tarball:${item.tarball}`, type: "file", mode: 0, uid: 0, gid: 0, mtime: 0 }, source: item.tarball });
    } else if (item.image !== undefined && item.path !== undefined) {
      keyHash.update(`image ${item.image} ${item.path}\n`);
      put({ entry: { path: `\0image:${item.image}\0${item.path}`, type: "file", mode: 0, uid: 0, gid: 0, mtime: 0 }, source: item.image });
    }
  }
  const sorted = [...planned.values()].sort((a, b) => (a.entry.path < b.entry.path ? -1 : 1));
  for (const p of sorted) {
    const e = p.entry;
    keyHash.update(JSON.stringify([e.path, e.type, e.mode, e.uid, e.gid, e.mtime, e.linkname, e.size]));
    if (p.source && e.type === "file" && !e.path.startsWith("\0")) keyHash.update(await hashFile(p.source));
  }
  const byItem = contents;
  const entries = (async function* () {
    for (const p of sorted) {
      const e = p.entry;
      if (e.path.startsWith("\0tarball:")) {
        const item = byItem.find((c) => c.tarball === p.source)!;
        yield* tarballEntries(p.source!, destPath(item.destination), { ...options, owner: item.owner, mode: item.mode });
      } else if (e.path.startsWith("\0image:")) {
        const item = byItem.find((c) => c.image === p.source && e.path.endsWith(`\0${c.path}`))!;
        yield* imagePathEntries(item.image!, item.path!, destPath(item.destination), { ...options, owner: item.owner, mode: item.mode });
      } else if (e.type === "file" && p.source) {
        yield { ...e, body: createReadStream(p.source) };
      } else {
        yield e;
      }
    }
  })();
  return { key: keyHash.digest("hex"), entries };
}

function destPath(destination: string): string {
  const path = destination.replace(/^\/+/, "").replace(/\/+$/, "");
  if (path.split("/").includes("..")) {
    throw new CudasealError("CONTENT_INVALID", `destination '${destination}' climbs out of the image root`);
  }
  return path;
}

async function walkLocal(source: string, dest: string, mtime: number): Promise<Planned[]> {
  const out: Planned[] = [];
  const visit = async (abs: string, rel: string) => {
    if (out.length > MAX_LOCAL_FILES) {
      throw new CudasealError("CONTENT_INVALID", `${source} holds more than ${MAX_LOCAL_FILES} entries`);
    }
    let info: Awaited<ReturnType<typeof lstat>>;
    try {
      info = await lstat(abs);
    } catch (err) {
      throw new CudasealError("CONTENT_INVALID", `cannot read ${abs}`, {
        hint: "contents paths are relative to the spec file",
        cause: err,
      });
    }
    const perm = info.mode & 0o7777;
    if (info.isDirectory()) {
      if (rel) out.push({ entry: dirEntry(rel, mtime, perm) });
      for (const name of (await readdir(abs)).sort()) await visit(join(abs, name), rel ? `${rel}/${name}` : name);
    } else if (info.isFile()) {
      out.push({ entry: { path: rel, type: "file", mode: perm, uid: 0, gid: 0, mtime, size: info.size }, source: abs });
    } else if (info.isSymbolicLink()) {
      const target = await readlink(abs);
      out.push({ entry: { path: rel, type: "symlink", mode: 0o777, uid: 0, gid: 0, mtime, linkname: target } });
    } else {
      throw new CudasealError("CONTENT_INVALID", `${abs} is not a file, directory or symlink`);
    }
  };
  const info = await lstat(source).catch((err) => {
    throw new CudasealError("CONTENT_INVALID", `cannot read ${source}`, { hint: "contents paths are relative to the spec file", cause: err });
  });
  if (info.isDirectory()) {
    if (dest) out.push({ entry: dirEntry(dest, mtime, info.mode & 0o7777) });
    for (const name of (await readdir(source)).sort()) await visit(join(source, name), dest ? `${dest}/${name}` : name);
  } else {
    await visit(source, dest);
  }
  return out;
}
