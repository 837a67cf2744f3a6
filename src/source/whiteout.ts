// Whiteouts, as the OCI image spec's layer rules have them, written once for
// every reader that merges layers: the file system reader (filesystem.ts),
// the audit's layer walk and run's extraction.
//
// - `.wh.NAME` deletes NAME, and all under it, from the layers below;
// - `.wh..wh..opq` empties its directory of what the layers below put there;
// - an entry that is not a directory hides whatever the layers below had
//   under its path;
// - entries of one layer never hide each other, in whatever order they come;
// - the whiteout entries themselves never appear.
//
// LayeredPaths keeps these rules in memory, as the layer each path's
// surviving version came from. Extraction applies the same rules to a
// directory on disk, where a hard link keeps the bytes of a file a later
// layer deletes.

import { PathChildren } from "../util/path-children.ts";

/** The prefix of a whiteout entry's name. */
export const WHITEOUT_PREFIX = ".wh.";
/** The name of the entry that makes its directory opaque. */
export const OPAQUE_WHITEOUT = ".wh..wh..opq";

/**
 * What a layer entry's name says. `opaque`: `dir` loses what lower layers put
 * there (`name` is empty). `delete`: `name` in `dir` is deleted. `none`: an
 * ordinary entry named `name` in `dir`.
 */
export interface EntryName {
  kind: "opaque" | "delete" | "none";
  dir: string;
  name: string;
}

/**
 * Read a canonical entry path, rooted (`/etc/.wh.x`) or relative
 * (`etc/.wh.x`); `dir` keeps the path's form, `/` or `` for the top.
 */
export function parseEntryName(path: string): EntryName {
  const slash = path.lastIndexOf("/");
  const dir = slash < 0 ? "" : slash === 0 ? "/" : path.slice(0, slash);
  const base = path.slice(slash + 1);
  if (base === OPAQUE_WHITEOUT) return { kind: "opaque", dir, name: "" };
  if (base.startsWith(WHITEOUT_PREFIX))
    return { kind: "delete", dir, name: base.slice(WHITEOUT_PREFIX.length) };
  return { kind: "none", dir, name: base };
}

/** The path of `name` in `dir`, in `dir`'s form; an empty name is `dir` itself. */
export function childPath(dir: string, name: string): string {
  if (name === "") return dir;
  if (dir === "") return name;
  return dir.endsWith("/") ? `${dir}${name}` : `${dir}/${name}`;
}

/** Called when a later layer deletes or replaces `path` as the value's layer wrote it. */
export type DropListener<T> = (path: string, value: T, byLayer: number) => void;

/**
 * The paths of a file system built layer by layer, each with the value its
 * surviving version carries (at least the layer that wrote it). Children are
 * indexed, so a whiteout costs what it deletes, not the image's size.
 */
export class LayeredPaths<T> {
  /** Every path in the merged file system, in no particular order. */
  readonly paths = new Map<string, T>();
  readonly #children = new PathChildren();
  readonly #layerOf: (value: T) => number;
  readonly #onDrop: DropListener<T>;

  constructor(layerOf: (value: T) => number, onDrop: DropListener<T> = () => {}) {
    this.#layerOf = layerOf;
    this.#onDrop = onDrop;
  }

  get(path: string): T | undefined {
    return this.paths.get(path);
  }

  /** Record a layer's entry: one that is not a directory first hides what is under it. */
  write(path: string, value: T, isDirectory: boolean): void {
    const layer = this.#layerOf(value);
    if (!isDirectory) this.clearUnder(path, layer);
    const old = this.paths.get(path);
    if (old !== undefined && this.#layerOf(old) < layer) this.#onDrop(path, old, layer);
    this.paths.set(path, value);
    this.#children.add(path);
  }

  /** Apply a whiteout entry of `layer`; an ordinary name changes nothing. */
  whiteout(entry: EntryName, layer: number): void {
    if (entry.kind === "opaque") this.clearUnder(entry.dir, layer);
    else if (entry.kind === "delete") this.delete(childPath(entry.dir, entry.name), layer);
  }

  /** `.wh.NAME` in `layer`: delete `path` and all under it that lower layers wrote. */
  delete(path: string, layer: number): void {
    const old = this.paths.get(path);
    if (old !== undefined && this.#layerOf(old) < layer) {
      this.paths.delete(path);
      this.#onDrop(path, old, layer);
    }
    this.clearUnder(path, layer);
  }

  /** `.wh..wh..opq` in `layer`, and the shadow a non-directory casts: delete all under `dir` that lower layers wrote. */
  clearUnder(dir: string, layer: number): void {
    this.#children.removeUnder(
      dir,
      (kid) => this.delete(kid, layer),
      (kid) => this.paths.has(kid),
    );
  }
}
