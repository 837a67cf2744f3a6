// An image's final file system as metadata, from one pass over its layers in
// order, nothing extracted, whiteouts applied by the OCI layer rules
// (whiteout.ts). The bodies of the files `want` names are collected on the
// way, capped, and follow the same rules, as do the checksums of the files
// `hash` names, computed as their bodies stream past.

import { createHash } from "node:crypto";
import { posix } from "node:path";
import { decompress } from "../deb/decompress.ts";
import { CudasealError, isCudasealError } from "../errors.ts";
import { readTar, type TarEntry } from "../tar/reader.ts";
import type { OpenedImage } from "./image-source.ts";
import { LayeredPaths, parseEntryName } from "./whiteout.ts";

/** One path of the final file system. */
export interface FileInfo {
  type: "file" | "directory" | "symlink" | "hardlink";
  mode: number;
  uid: number;
  gid: number;
  size: number;
  linkname?: string;
  /** Index of the layer that holds this version of the path. */
  layer: number;
}

/** The final file system: absolute paths (`/etc/passwd`, `/` for the root) in no particular order. */
export interface ImageFilesystem {
  files: Map<string, FileInfo>;
  /** Final bodies of the wanted files no larger than the cap. */
  contents: Map<string, Buffer>;
  /** Wanted files left out of `contents` for being larger than the cap. */
  tooLarge: Set<string>;
  /** Checksums of the final versions of the regular files `hash` named. */
  digests: Map<string, FileDigest>;
}

// What readFilesystem gathers of file bodies, beside the paths.
type Bodies = Omit<ImageFilesystem, "files">;

/** A file body's checksums, hex. */
export interface FileDigest {
  sha256: string;
  sha1: string;
}

export interface ReadFilesystemOptions {
  /** Whose body to keep: called with each regular file's absolute path; a number caps that body lower than maxContentSize. */
  want?: (path: string) => boolean | number;
  /** Whose body to hash (SHA-256 and SHA-1) while it streams past: called with each regular file's absolute path. */
  hash?: (path: string) => boolean;
  /** Largest body kept, bytes (default 4 MiB). */
  maxContentSize?: number;
  /** Names the image in errors. */
  origin?: string;
}

const DEFAULT_MAX_CONTENT = 4 * 1024 * 1024;

/** Read every layer of `image` once, in order, into its final file system. */
export async function readFilesystem(
  image: OpenedImage,
  options: ReadFilesystemOptions = {},
): Promise<ImageFilesystem> {
  const origin = options.origin ?? image.manifestDigest;
  const found: Bodies = { contents: new Map(), tooLarge: new Set(), digests: new Map() };
  const forget = (p: string) => {
    found.contents.delete(p);
    found.tooLarge.delete(p);
    found.digests.delete(p);
  };
  const tree = new LayeredPaths<FileInfo>((info) => info.layer, forget);
  for (const [i, layer] of image.layers.entries()) {
    const where = `${origin} layer ${i} (${layer.digest})`;
    try {
      const tar = readTar(decompressSniffed(layer.open(), where), {
        origin: where,
        skipSpecial: true,
        unchecked: true,
      });
      for await (const e of tar) {
        const path = absolute(e.path);
        if (path === undefined) {
          await e.skip();
          continue;
        }
        const name = parseEntryName(path);
        if (name.kind !== "none") {
          await e.skip();
          tree.whiteout(name, i);
          continue;
        }
        tree.write(path, fileInfo(e, i), e.type === "directory");
        forget(path);
        await readBody(e, path, options, found);
      }
    } catch (err) {
      if (isCudasealError(err, "IMAGE_INVALID")) throw err;
      throw new CudasealError("IMAGE_INVALID", `${where} cannot be read`, {
        cause: err,
        details: { layer: i, digest: layer.digest, ...(isCudasealError(err) ? { code: err.code } : {}) },
      });
    }
  }
  return { ...found, files: tree.paths };
}

/** What the final file system records of an entry that `layer` holds. */
function fileInfo(e: TarEntry, layer: number): FileInfo {
  const info: FileInfo = { type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, size: e.size, layer };
  if (e.linkname !== undefined) info.linkname = e.type === "hardlink" ? `/${e.linkname}` : e.linkname;
  return info;
}

/** Keep (capped) and hash a regular file's body as `options` ask, or skip it. */
async function readBody(
  e: TarEntry,
  path: string,
  options: ReadFilesystemOptions,
  found: Bodies,
): Promise<void> {
  const max = options.maxContentSize ?? DEFAULT_MAX_CONTENT;
  const wanted = e.type === "file" ? (options.want?.(path) ?? false) : false;
  const hashed = e.type === "file" && options.hash?.(path) === true;
  const cap = typeof wanted === "number" ? Math.min(wanted, max) : max;
  if (wanted !== false && e.size > cap) found.tooLarge.add(path);
  const keep = wanted !== false && e.size <= cap;
  if (!keep && !hashed) {
    await e.skip();
    return;
  }
  const sha256 = hashed ? createHash("sha256") : undefined;
  const sha1 = hashed ? createHash("sha1") : undefined;
  const parts: Buffer[] | undefined = keep ? [] : undefined;
  for await (const chunk of e.body) {
    sha256?.update(chunk);
    sha1?.update(chunk);
    parts?.push(chunk);
  }
  if (parts) found.contents.set(path, Buffer.concat(parts));
  if (sha256 && sha1) found.digests.set(path, { sha256: sha256.digest("hex"), sha1: sha1.digest("hex") });
}

/** `/`-rooted canonical form of a layer path; undefined for one that climbs out of the root. */
function absolute(path: string): string | undefined {
  const p = posix.normalize(`/${path}`);
  if (p.split("/").includes("..")) return undefined;
  return p;
}

/**
 * A layer's tar bytes. The compression is read from the first bytes, not the
 * media type: Docker archives call gzip'd layers plain tars and the reverse.
 */
export async function* decompressSniffed(
  body: AsyncIterable<Uint8Array>,
  where: string,
): AsyncGenerator<Buffer> {
  const it = body[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  const head = Buffer.from(first.value.buffer, first.value.byteOffset, first.value.byteLength);
  const name =
    head[0] === 0x1f && head[1] === 0x8b
      ? "layer.gz"
      : head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528
        ? "layer.zst"
        : "layer";
  async function* all(): AsyncGenerator<Uint8Array> {
    try {
      yield head;
      for (;;) {
        const next = await it.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      await it.return?.();
    }
  }
  yield* decompress(all(), name, where);
}
