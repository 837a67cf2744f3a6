// The user's contents: local files and directories, tarballs, and paths
// copied out of another image (a multi-stage build's COPY --from). They form
// the last layer, keyed by a hash of their bytes and metadata so that the
// layer is rebuilt exactly when they change.

import { createHash } from "node:crypto";
import { lstat, readdir, readlink } from "node:fs/promises";
import { join, relative } from "node:path";
import { parseMode, parseOwner } from "../assemble/system-layer.ts";
import { hashFile } from "../cache/content-store.ts";
import { CudasealError } from "../errors.ts";
import { dirEntry, type LayerEntry, parents } from "../layer/entry.ts";
import type { PathPolicy } from "../layer/path-policy.ts";
import type { SpecContent } from "../spec/types.ts";
import { regularFileStream } from "../util/read-regular-file.ts";
import { imageDigest, imagePathEntries } from "./image-copy.ts";
import { tarballEntries } from "./tarball.ts";

export interface ContentsOptions {
  arch: string;
  mtime: number;
  policy: PathPolicy;
  /** Leave out what a local source holds at this path, relative to the source (a project's .venv, .git). */
  skip?: (relative: string) => boolean;
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
  // Tarballs and image paths stream at write time, after the local files, in
  // spec order: where they overlap, the later entry wins on extraction.
  const streamed: SpecContent[] = [];
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
      for (const p of await walkLocal(item.source, dest, options.mtime, options.skip)) {
        const mode =
          item.mode !== undefined && p.entry.type !== "symlink" ? parseMode(item.mode, 0o644) : p.entry.mode;
        put({
          ...p,
          entry: {
            ...p.entry,
            ...owner,
            mode: options.policy.mode(p.entry.path, mode, p.entry.type === "directory"),
          },
        });
      }
    } else if (item.tarball !== undefined) {
      keyHash.update(`tarball ${JSON.stringify(item)} ${await hashFile(item.tarball, "contents tarball")}\n`);
      streamed.push(item);
    } else if (item.image !== undefined && item.path !== undefined) {
      // The image is named by a layout path and tag; its manifest digest pins the bytes.
      keyHash.update(`image ${JSON.stringify(item)} ${await imageDigest(item.image, options.arch)}\n`);
      streamed.push(item);
    }
  }
  const sorted = [...planned.values()].sort((a, b) => (a.entry.path < b.entry.path ? -1 : 1));
  for (const p of sorted) {
    const e = p.entry;
    keyHash.update(JSON.stringify([e.path, e.type, e.mode, e.uid, e.gid, e.mtime, e.linkname, e.size]));
    if (p.source && e.type === "file") keyHash.update(await hashFile(p.source, "contents file"));
  }
  const entries = (async function* () {
    for (const p of sorted) {
      const e = p.entry;
      yield e.type === "file" && p.source
        ? { ...e, body: await regularFileStream(p.source, "contents file") }
        : e;
    }
    for (const item of streamed) {
      const o = { ...options, owner: item.owner, mode: item.mode };
      if (item.tarball !== undefined) yield* tarballEntries(item.tarball, destPath(item.destination), o);
      else yield* imagePathEntries(item.image!, item.path!, destPath(item.destination), o);
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

async function walkLocal(
  source: string,
  dest: string,
  mtime: number,
  skip?: (relative: string) => boolean,
): Promise<Planned[]> {
  const out: Planned[] = [];
  const visit = async (abs: string, rel: string) => {
    if (skip?.(relative(source, abs))) return;
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
      for (const name of (await readdir(abs)).sort())
        await visit(join(abs, name), rel ? `${rel}/${name}` : name);
    } else if (info.isFile()) {
      out.push({
        entry: { path: rel, type: "file", mode: perm, uid: 0, gid: 0, mtime, size: info.size },
        source: abs,
      });
    } else if (info.isSymbolicLink()) {
      const target = await readlink(abs);
      out.push({
        entry: { path: rel, type: "symlink", mode: 0o777, uid: 0, gid: 0, mtime, linkname: target },
      });
    } else {
      throw new CudasealError("CONTENT_INVALID", `${abs} is not a file, directory or symlink`);
    }
  };
  const info = await lstat(source).catch((err) => {
    throw new CudasealError("CONTENT_INVALID", `cannot read ${source}`, {
      hint: "contents paths are relative to the spec file",
      cause: err,
    });
  });
  if (info.isDirectory()) {
    if (dest) out.push({ entry: dirEntry(dest, mtime, info.mode & 0o7777) });
    for (const name of (await readdir(source)).sort())
      await visit(join(source, name), dest ? `${dest}/${name}` : name);
  } else {
    await visit(source, dest);
  }
  return out;
}
