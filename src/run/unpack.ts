// An image's layers extracted into a root file system, once per manifest
// digest: `<cache>/rootfs/<hex>`. The tree is built in a temporary
// directory beside it and renamed into place whole, so a crash leaves no
// half-made root and two runs may race (the loser keeps the winner's).
//
// Every layer is hostile input. A path that climbs out with `..` is refused
// (TAR_PATH_TRAVERSAL); nothing is written through a symlink: every parent
// directory is checked with lstat, an entry beneath a symlink is refused
// (TAR_LINK_ESCAPE), an existing entry is removed before its replacement is
// created, and files are opened O_EXCL|O_NOFOLLOW. Hardlink targets follow
// the same rules. Device nodes and fifos are skipped (the launcher gives
// the container its own /dev).
//
// Whiteouts follow the OCI layer rules (src/source/whiteout.ts), applied to
// the directory: a whiteout deletes only what lower layers wrote, and one
// beneath a symlink is refused as an entry would be. Modes (setuid included)
// and owners are kept, so the rootfs directory is made 0700: only its owner
// may reach the files.

import { constants } from "node:fs";
import { chmod, lchown, link, lstat, mkdir, open, readdir, rename, rm, symlink } from "node:fs/promises";
import { join, posix } from "node:path";
import { defaultCacheDir } from "../cache/dirs.ts";
import { CudasealError, isCudasealError } from "../errors.ts";
import { decompressSniffed } from "../source/filesystem.ts";
import type { OpenedImage } from "../source/image-source.ts";
import { childPath, type EntryName, parseEntryName } from "../source/whiteout.ts";
import { readTar, type TarEntry } from "../tar/reader.ts";

export interface UnpackOptions {
  cacheDir?: string;
  /** Stops the extraction between entries (RUN_INTERRUPTED); what was written is removed. */
  signal?: AbortSignal;
}

export interface UnpackedImage {
  /** The root file system, read-only by convention: runs mount it under an overlay. */
  rootfs: string;
  /** It was already in the cache. */
  cached: boolean;
}

/** The directory that holds the extracted images of a cache. */
export function rootfsCacheDir(cacheDir: string = defaultCacheDir()): string {
  return join(cacheDir, "rootfs");
}

/** Extract `image` into the cache (or find it there) and return its root. */
export async function unpackImage(image: OpenedImage, options: UnpackOptions = {}): Promise<UnpackedImage> {
  const hex = /^sha256:([0-9a-f]{64})$/.exec(image.manifestDigest)?.[1];
  if (hex === undefined) {
    throw new CudasealError("IMAGE_INVALID", `the image's digest is not sha256: ${image.manifestDigest}`);
  }
  const dir = rootfsCacheDir(options.cacheDir);
  const rootfs = join(dir, hex);
  if (await isDirectory(rootfs)) return { rootfs, cached: true };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const tmp = join(dir, `.tmp-${hex.slice(0, 12)}-${process.pid}-${Date.now()}`);
  await mkdir(tmp, { mode: 0o755 });
  try {
    const extractor = new Extractor(tmp, options.signal);
    for (const [i, layer] of image.layers.entries()) {
      const where = `${image.manifestDigest} layer ${i} (${layer.digest})`;
      const entries = readTar(decompressSniffed(layer.open(), where), {
        origin: where,
        skipSpecial: true,
        unchecked: true,
      });
      await extractor.layer(entries, where);
    }
    await extractor.finish();
    try {
      await rename(tmp, rootfs);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Another run finished the same image first: keep its tree.
      if ((code === "ENOTEMPTY" || code === "EEXIST") && (await isDirectory(rootfs))) {
        await removeTree(tmp);
        return { rootfs, cached: true };
      }
      throw err;
    }
  } catch (err) {
    await removeTree(tmp);
    if (isCudasealError(err)) throw err;
    throw new CudasealError("IMAGE_INVALID", `cannot unpack ${image.manifestDigest}`, { cause: err });
  }
  return { rootfs, cached: false };
}

/** Remove a tree even where modes forbid it (directories of mode 0, as overlayfs leaves). */
export async function removeTree(path: string): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true });
  } catch {
    await makeWritable(path);
    await rm(path, { recursive: true, force: true });
  }
}

async function makeWritable(path: string): Promise<void> {
  const st = await lstat(path).catch(() => undefined);
  if (st === undefined || !st.isDirectory()) return;
  await chmod(path, 0o700).catch(() => {});
  for (const name of await readdir(path).catch(() => [])) await makeWritable(join(path, name));
}

const NOFOLLOW_CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Writes layers, in order, into one directory it owns. */
class Extractor {
  readonly #root: string;
  readonly #chown = process.getuid?.() === 0;
  /** Directories (relative paths) known to be real directories made here. */
  #dirs = new Set<string>([""]);
  /** Directory modes, applied last so a read-only directory does not stop its own children. */
  readonly #dirModes = new Map<string, number>();
  /** Paths the current layer wrote: its whiteouts never delete them. */
  #written = new Set<string>();
  readonly #signal?: AbortSignal;

  constructor(root: string, signal?: AbortSignal) {
    this.#root = root;
    this.#signal = signal;
  }

  async layer(entries: AsyncIterable<TarEntry>, where: string): Promise<void> {
    this.#written = new Set();
    for await (const e of entries) {
      if (this.#signal?.aborted) {
        throw new CudasealError("RUN_INTERRUPTED", "interrupted while unpacking the image", {
          hint: "nothing was kept; the next run unpacks it again",
        });
      }
      const path = checkedPath(e.path, where);
      if (path === "") {
        await e.skip();
        continue;
      }
      const name = parseEntryName(path);
      if (name.kind !== "none") {
        await e.skip();
        await this.#whiteout(name, where);
        continue;
      }
      await this.#parents(name.dir, where);
      await this.#write(e, path, where);
      this.#written.add(path);
    }
  }

  /** Delete what a whiteout names, as lower layers left it; one in a directory that is not there is a no-op. */
  async #whiteout(name: EntryName, where: string): Promise<void> {
    if (name.kind === "opaque") {
      if (await this.#isRealDir(name.dir, where)) await this.#removeLower(name.dir);
      return;
    }
    const victim = childPath(name.dir, name.name);
    if (victim === "") {
      // `.wh.` alone at the top: it would delete the tree being built.
      throw new CudasealError("IMAGE_INVALID", `${where}: a whiteout names the root itself`, {
        details: { origin: where },
      });
    }
    if (!this.#written.has(victim) && (await this.#isRealDir(name.dir, where))) await this.#remove(victim);
  }

  /** Apply directory modes, deepest first. */
  async finish(): Promise<void> {
    const dirs = [...this.#dirModes].sort((a, b) => b[0].length - a[0].length);
    for (const [dir, mode] of dirs) await chmod(join(this.#root, dir), mode);
  }

  async #write(e: TarEntry, path: string, where: string): Promise<void> {
    const abs = join(this.#root, path);
    const existing = await lstat(abs).catch(() => undefined);
    if (e.type === "directory") {
      if (existing !== undefined && !existing.isDirectory()) await this.#remove(path);
      if (existing === undefined || !existing.isDirectory()) await mkdir(abs, { mode: 0o700 });
      this.#dirs.add(path);
      this.#dirModes.set(path, e.mode);
      if (this.#chown) await lchown(abs, e.uid, e.gid);
      return;
    }
    if (existing !== undefined) await this.#remove(path);
    if (e.type === "file") {
      const fh = await open(abs, NOFOLLOW_CREATE, 0o600);
      try {
        for await (const chunk of e.body) await fh.write(chunk);
      } finally {
        await fh.close();
      }
    } else if (e.type === "symlink") {
      await e.skip();
      await symlink(e.linkname ?? "", abs);
    } else {
      await e.skip();
      const target = checkedPath(e.linkname ?? "", where);
      const targetDir = posix.dirname(target) === "." ? "" : posix.dirname(target);
      if (!(await this.#isRealDir(targetDir, where)) || target === "") {
        throw linkError(where, path, `its target ${e.linkname} does not exist`);
      }
      const st = await lstat(join(this.#root, target)).catch(() => undefined);
      if (st === undefined || st.isDirectory()) {
        throw linkError(where, path, `its target ${e.linkname} is not a file in the image`);
      }
      // link(2) does not follow a symlink target: the new name is the link itself.
      await link(join(this.#root, target), abs);
      return; // owner and mode are the target's
    }
    if (this.#chown) await lchown(abs, e.uid, e.gid);
    // chown clears setuid and setgid bits, so the mode comes after it.
    if (e.type === "file") await chmod(abs, e.mode);
  }

  /** Make sure every parent of an entry is a real directory made here; create missing ones. */
  async #parents(dir: string, where: string): Promise<void> {
    if (this.#dirs.has(dir)) return;
    let sofar = "";
    for (const part of dir.split("/")) {
      sofar = sofar === "" ? part : `${sofar}/${part}`;
      if (this.#dirs.has(sofar)) continue;
      const abs = join(this.#root, sofar);
      const st = await lstat(abs).catch(() => undefined);
      if (st === undefined) {
        await mkdir(abs, { mode: 0o755 });
      } else if (st.isSymbolicLink()) {
        throw new CudasealError("TAR_LINK_ESCAPE", `${where}: entries lie beneath the symlink /${sofar}`, {
          hint: "an extractor would write through the link, outside the directory it names; the layer is malformed or hostile",
          details: { origin: where, symlink: `/${sofar}` },
        });
      } else if (!st.isDirectory()) {
        throw new CudasealError("TAR_INVALID", `${where}: /${sofar} is a file, yet entries lie beneath it`, {
          details: { origin: where, entry: `/${sofar}` },
        });
      }
      this.#dirs.add(sofar);
    }
  }

  /** Whether `dir` exists as a real directory (no symlink on the way); a whiteout elsewhere is a no-op. */
  async #isRealDir(dir: string, where: string): Promise<boolean> {
    let sofar = "";
    for (const part of dir === "" ? [] : dir.split("/")) {
      sofar = sofar === "" ? part : `${sofar}/${part}`;
      if (this.#dirs.has(sofar)) continue;
      const st = await lstat(join(this.#root, sofar)).catch(() => undefined);
      if (st === undefined) return false;
      if (st.isSymbolicLink()) {
        throw new CudasealError(
          "TAR_LINK_ESCAPE",
          `${where}: a whiteout or link lies beneath the symlink /${sofar}`,
          {
            details: { origin: where, symlink: `/${sofar}` },
          },
        );
      }
      if (!st.isDirectory()) return false;
      this.#dirs.add(sofar);
    }
    return true;
  }

  /** Empty `dir` of everything but what the current layer wrote (recursively). */
  async #removeLower(dir: string): Promise<void> {
    for (const name of await readdir(join(this.#root, dir))) {
      const child = dir === "" ? name : `${dir}/${name}`;
      if (!this.#written.has(child)) await this.#remove(child);
      else if (this.#dirs.has(child)) await this.#removeLower(child);
    }
  }

  async #remove(path: string): Promise<void> {
    await removeTree(join(this.#root, path));
    for (const known of [this.#dirs, this.#dirModes]) {
      for (const key of known.keys()) if (key === path || key.startsWith(`${path}/`)) known.delete(key);
    }
  }
}

/** A layer path made canonical; one that climbs with `..` is refused. */
function checkedPath(raw: string, where: string): string {
  const parts = raw.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) {
    throw new CudasealError("TAR_PATH_TRAVERSAL", `${where}: entry ${raw} climbs out of the root with ..`, {
      hint: "the layer is malformed or hostile; do not run it",
      details: { origin: where, entry: raw },
    });
  }
  return parts.join("/");
}

function linkError(where: string, path: string, why: string): CudasealError {
  return new CudasealError("TAR_INVALID", `${where}: hardlink /${path}: ${why}`, {
    details: { origin: where, entry: `/${path}` },
  });
}

async function isDirectory(path: string): Promise<boolean> {
  const st = await lstat(path).catch(() => undefined);
  return st?.isDirectory() ?? false;
}
