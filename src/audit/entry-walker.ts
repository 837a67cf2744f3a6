// What the audit's walk keeps from one entry to the next, and the order it
// checks an entry in: its path (one that climbs out of the root is a
// finding, not a crash), whiteouts (applied to the final file system by the
// OCI rules), symlinks above it, then the entry's own checks
// (entry-checks.ts). Only layer numbers are kept per path, so a large image
// costs a map entry per path. CUDA libraries are remembered with their sizes
// to find, once every layer is read, a soname the image holds twice.

import { posix } from "node:path";
import type { Finding } from "../findings/index.ts";
import { isOwnershipDb } from "../source/file-owners.ts";
import type { FileInfo, ImageFilesystem } from "../source/filesystem.ts";
import { isPackageDb } from "../source/packages.ts";
import { isPythonMetadata, pythonPackages } from "../source/python-packages.ts";
import { LayeredPaths, parseEntryName } from "../source/whiteout.ts";
import type { TarEntry } from "../tar/reader.ts";
import { formatBytes } from "../util/format-bytes.ts";
import { printable } from "../util/printable.ts";
import { checkBody, checkLinks, checkMode, type Note, readAll, rootedPath } from "./entry-checks.ts";
import { LayerFindings } from "./layer-findings.ts";
import { cudartVersion, cudaSoname, isCudart, isPackageDatabase } from "./paths.ts";
import { finding } from "./rules.ts";

type CudaVersion = { major: number; minor: number; full: string };

/** Largest package database or Python metadata file kept to count Python distributions. */
const MAX_KEPT = 4 * 1024 * 1024;
/** The most those files may hold in all: past it, a hostile image gets no count rather than the audit's memory. */
const MAX_KEPT_TOTAL = 256 * 1024 * 1024;

/** The files Python distributions are counted from: their metadata, and the OS packages' records that may own it. */
function keptForPackages(path: string): boolean {
  return isPythonMetadata(path) || isPackageDb(path) || isOwnershipDb(path);
}

/** The CUDA runtime in the final file system: present at all, and the newest version a file name carries. */
export interface CudartFacts {
  present: boolean;
  version?: CudaVersion;
  path?: string;
}

export class EntryWalker {
  /** Entries seen, and the text files searched for secrets. */
  readonly counts = { entries: 0, scannedFiles: 0, scannedBytes: 0 };
  readonly #findings = new LayerFindings();
  readonly #fs = new LayeredPaths<number>((layer) => layer, this.#findings.dropped);
  /** Symlinks as the layers so far leave them, to spot entries written through one. */
  readonly #symlinks = new Map<string, string>();
  readonly #cudart: { path: string; layer: number; version?: CudaVersion }[] = [];
  /** Regular files named as CUDA libraries: soname, path, layer, size. */
  readonly #cudaLibs: { soname: string; path: string; layer: number; size: number }[] = [];
  /** Bodies of the files keptForPackages names, by path: the last layer's version. */
  readonly #kept = new Map<string, { layer: number; body: Buffer }>();
  #keptBytes = 0;
  readonly #maxScan: number;

  constructor(maxScan: number) {
    this.#maxScan = maxScan;
  }

  /** Check one entry of `layer`, reading or skipping its body. */
  async entry(e: TarEntry, layer: number): Promise<void> {
    this.counts.entries++;
    const path = rootedPath(e.path);
    if (path === undefined) {
      const shown = printable(e.path);
      this.#findings.note(
        "CS-TAR-PATH-TRAVERSAL",
        `/${shown}`,
        layer,
        `entry ${shown} in layer ${layer} climbs out of the root`,
        true,
      );
      await e.skip();
      return;
    }
    const name = parseEntryName(path);
    if (name.kind !== "none") {
      this.#fs.whiteout(name, layer);
      await e.skip();
      return;
    }
    const note: Note = (id, message, always, extra) =>
      this.#findings.note(id, path, layer, message, always, extra);
    this.#checkSymlinkAbove(path, layer, note);
    this.#record(e, path, layer);
    checkLinks(e, path, layer, note);
    checkMode(e, path, note);
    if (e.type !== "file" && e.type !== "hardlink") {
      await e.skip();
      return;
    }
    const keep =
      e.type === "file" && e.size <= MAX_KEPT && this.#keptBytes <= MAX_KEPT_TOTAL && keptForPackages(path);
    const read = keep ? await readAll(e.body, e.size) : undefined;
    if (read !== undefined) {
      this.#kept.set(path, { layer, body: read });
      this.#keptBytes += read.length;
    }
    const scanned = await checkBody(e, path, layer, this.#maxScan, note, read);
    if (scanned !== undefined) {
      this.counts.scannedFiles++;
      this.counts.scannedBytes += scanned;
    }
  }

  /** The findings that hold for the final file system. */
  findings(): Finding[] {
    return [...this.#findings.settle(this.#fs), ...this.#duplicatedCudaLibraries()];
  }

  // Two regular files answering to one soname (a wheel's nvidia/*/lib beside
  // /usr/lib or /usr/local/cuda): twice the bytes, and which one a process
  // loads depends on the search path. Links and hard links are one copy.
  #duplicatedCudaLibraries(): Finding[] {
    // The last version of each path, as the final file system has it.
    const final = new Map(this.#cudaLibs.map((lib) => [lib.path, lib]));
    const bySoname = new Map<string, { path: string; layer: number; size: number }[]>();
    for (const lib of final.values()) {
      if (this.#fs.get(lib.path) !== lib.layer) continue;
      const list = bySoname.get(lib.soname);
      if (list) list.push(lib);
      else bySoname.set(lib.soname, [lib]);
    }
    const out: Finding[] = [];
    for (const [soname, copies] of [...bySoname].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (copies.length < 2) continue;
      copies.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      const total = copies.reduce((n, c) => n + c.size, 0);
      const list = copies
        .map((c) => `${printable(c.path)} (${formatBytes(c.size)}, layer ${c.layer})`)
        .join(", ");
      out.push(
        finding(
          "CS-CUDA-LIBRARY-DUPLICATED",
          { path: copies[0].path, layer: copies[0].layer, inFinalFs: true },
          `${soname} is in the image ${copies.length} times, ${formatBytes(total)} in all: ${list}`,
        ),
      );
    }
    return out;
  }

  /** The newest CUDA runtime a surviving file name carries. */
  cudart(): CudartFacts {
    let newest: CudaVersion | undefined;
    let newestPath: string | undefined;
    let present = false;
    for (const c of this.#cudart) {
      if (this.#fs.get(c.path) !== c.layer) continue;
      present = true;
      const v = c.version;
      if (
        v !== undefined &&
        (newest === undefined ||
          v.major > newest.major ||
          (v.major === newest.major && v.minor > newest.minor))
      ) {
        newest = v;
        newestPath = c.path;
      }
    }
    return { present, ...(newest === undefined ? {} : { version: newest, path: newestPath }) };
  }

  /**
   * How many Python distributions the final file system holds that no OS
   * package owns (as sbom and compare count); undefined when their records
   * were too many to keep.
   */
  pythonPackages(): number | undefined {
    if (this.#keptBytes > MAX_KEPT_TOTAL) return undefined;
    const fs: ImageFilesystem = {
      files: new Map(),
      contents: new Map(),
      tooLarge: new Set(),
      digests: new Map(),
    };
    const info = (type: FileInfo["type"], layer: number, linkname?: string): FileInfo => ({
      type,
      mode: 0,
      uid: 0,
      gid: 0,
      size: 0,
      layer,
      ...(linkname === undefined ? {} : { linkname }),
    });
    for (const [path, { layer, body }] of this.#kept) {
      if (this.#fs.get(path) !== layer) continue;
      fs.files.set(path, info("file", layer));
      fs.contents.set(path, body);
    }
    // Merged /usr is read from the top-level links.
    for (const [path, target] of this.#symlinks) {
      const layer = this.#fs.get(path);
      if (layer !== undefined && posix.dirname(path) === "/")
        fs.files.set(path, info("symlink", layer, target));
    }
    return pythonPackages(fs).length;
  }

  /** Whether the final file system has a package database. */
  packageDatabase(): boolean {
    for (const path of this.#fs.paths.keys()) if (isPackageDatabase(path)) return true;
    return false;
  }

  // An entry under a path that is a symlink: runtimes that rebuild the tree
  // disagree with tools that extract in place, which follow the link (the
  // classic way to write outside the root). Checked before the entry is added.
  #checkSymlinkAbove(path: string, layer: number, note: Note): void {
    if (this.#symlinks.size === 0) return;
    for (let p = posix.dirname(path); p !== "/"; p = posix.dirname(p)) {
      if (this.#symlinks.has(p) && this.#fs.get(p) !== undefined) {
        note(
          "CS-TAR-SYMLINK-PARENT",
          `${printable(path)} in layer ${layer} is written through the symlink ${printable(p)} (-> ${printable(this.#symlinks.get(p) ?? "")})`,
          true,
        );
        return;
      }
    }
  }

  /** Add the entry to the final file system, the symlinks and the CUDA runtimes seen. */
  #record(e: TarEntry, path: string, layer: number): void {
    this.#fs.write(path, layer, e.type === "directory");
    if (e.type === "symlink") this.#symlinks.set(path, e.linkname ?? "");
    else this.#symlinks.delete(path);
    if (isCudart(path) && e.type !== "directory")
      this.#cudart.push({ path, layer, version: cudartVersion(path) });
    const soname = e.type === "file" ? cudaSoname(path) : undefined;
    if (soname !== undefined) this.#cudaLibs.push({ soname, path, layer, size: e.size });
  }
}
