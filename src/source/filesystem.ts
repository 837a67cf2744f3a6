// An image's final file system as metadata, from one pass over its layers in
// order, nothing extracted. Whiteouts follow the OCI layer spec: `.wh.NAME`
// deletes NAME (and all under it) from lower layers, `.wh..wh..opq` empties
// its directory of everything lower layers put there; an entry that is not a
// directory hides whatever lower layers had under its path. Entries of the
// same layer never hide each other. The bodies of the files `want` names are
// collected on the way, capped, and follow the same rules, as do the
// checksums of the files `hash` names, computed as their bodies stream past.

import { createHash } from "node:crypto";
import { posix } from "node:path";
import { decompress } from "../deb/decompress.ts";
import { CudasealError, isCudasealError } from "../errors.ts";
import { readTar } from "../tar/reader.ts";
import { PathChildren } from "../util/path-children.ts";
import type { OpenedImage } from "./image-source.ts";

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
  const max = options.maxContentSize ?? DEFAULT_MAX_CONTENT;
  const tree = new Tree();
  const contents = new Map<string, Buffer>();
  const tooLarge = new Set<string>();
  const digests = new Map<string, FileDigest>();
  const forget = (p: string) => {
    contents.delete(p);
    tooLarge.delete(p);
    digests.delete(p);
  };

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
        const dir = posix.dirname(path);
        const base = posix.basename(path);
        if (base === ".wh..wh..opq") {
          await e.skip();
          tree.removeUnder(dir, i, forget);
          continue;
        }
        if (base.startsWith(".wh.")) {
          await e.skip();
          tree.remove(posix.join(dir, base.slice(4)), i, forget);
          continue;
        }
        if (e.type !== "directory") tree.removeUnder(path, i, forget);
        const info: FileInfo = { type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, size: e.size, layer: i };
        if (e.linkname !== undefined) info.linkname = e.type === "hardlink" ? `/${e.linkname}` : e.linkname;
        tree.set(path, info);
        forget(path);
        const wanted = e.type === "file" ? (options.want?.(path) ?? false) : false;
        const hashed = e.type === "file" && options.hash?.(path) === true;
        const cap = typeof wanted === "number" ? Math.min(wanted, max) : max;
        if (wanted !== false && e.size > cap) tooLarge.add(path);
        const keep = wanted !== false && e.size <= cap;
        if (keep || hashed) {
          const sha256 = hashed ? createHash("sha256") : undefined;
          const sha1 = hashed ? createHash("sha1") : undefined;
          const parts: Buffer[] | undefined = keep ? [] : undefined;
          for await (const chunk of e.body) {
            sha256?.update(chunk);
            sha1?.update(chunk);
            parts?.push(chunk);
          }
          if (parts) contents.set(path, Buffer.concat(parts));
          if (sha256 && sha1) digests.set(path, { sha256: sha256.digest("hex"), sha1: sha1.digest("hex") });
        } else {
          await e.skip();
        }
      }
    } catch (err) {
      if (isCudasealError(err, "IMAGE_INVALID")) throw err;
      throw new CudasealError("IMAGE_INVALID", `${where} cannot be read`, {
        cause: err,
        details: { layer: i, digest: layer.digest, ...(isCudasealError(err) ? { code: err.code } : {}) },
      });
    }
  }
  return { files: tree.files, contents, tooLarge, digests };
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

// Paths with their children indexed, so whiteouts cost what they delete, not the image's size.
class Tree {
  readonly files = new Map<string, FileInfo>();
  readonly #children = new PathChildren();

  set(path: string, info: FileInfo): void {
    this.files.set(path, info);
    this.#children.add(path);
  }

  /** Delete `path` and all under it that layers below `layer` put there. */
  remove(path: string, layer: number, forget: (p: string) => void): void {
    const info = this.files.get(path);
    if (info !== undefined && info.layer < layer) {
      this.files.delete(path);
      forget(path);
    }
    this.removeUnder(path, layer, forget);
  }

  /** Delete all under `dir` that layers below `layer` put there. */
  removeUnder(dir: string, layer: number, forget: (p: string) => void): void {
    this.#children.removeUnder(
      dir,
      (kid) => this.remove(kid, layer, forget),
      (kid) => this.files.has(kid),
    );
  }
}
