// Streams a group of packages straight from their .deb files into one layer:
// data.tar entries are read, checked, put through the path policy and written
// to the layer's tar as they come, each file body flowing from the package's
// decompressor to the layer's compressor without touching disk or being held
// whole. What the system layer needs later (CA certificates, alternatives,
// the set of paths present) is gathered on the way, and so is what the SBOM
// needs: each package's copyright file, read from the payload whether or not
// the policy keeps it, and, where asked, each kept file's checksums; and what
// the link check needs: each kept path's node in the image tree.

import { createHash } from "node:crypto";
import type { LockedPackage } from "../apt/types.ts";
import { type OpenedDeb, openDeb } from "../deb/deb-reader.ts";
import { CudasealError } from "../errors.ts";
import { dirEntry, fileEntry, type LayerEntry, parents } from "../layer/entry.ts";
import { canonicalPath, type DropReason, isMergedUsrAlias, type PathPolicy } from "../layer/path-policy.ts";
import { hashedBody, MAX_COPYRIGHT_BYTES } from "../sbom/index.ts";
import type { TarEntry } from "../tar/reader.ts";
import { TreeCollector, type TreeNodes } from "../tree/index.ts";
import { regularFileStream } from "../util/read-regular-file.ts";
import { type Alternative, multiarchTuple, parseAlternatives } from "./alternatives.ts";
import { isCaSource } from "./ca-bundle.ts";
import { statusRecord } from "./status-d.ts";

/** What writing a package layer learned, kept with the cached layer. */
export interface PackageLayerMeta {
  packages: { name: string; version: string; arch: string; files: number; bytes: number }[];
  /** Every path the layer holds. */
  paths: string[];
  /** Bytes of file data kept, and dropped by the policy, per reason. */
  keptBytes: number;
  dropped: Partial<Record<DropReason, { files: number; bytes: number }>>;
  caCerts: [string, string][];
  alternatives: Alternative[];
  /** Newest entry mtime seen, seconds. */
  newestMtime: number;
  /** [package, text] of each package's usr/share/doc/NAME/copyright no larger than MAX_COPYRIGHT_BYTES. */
  copyrights: [string, string][];
  /** [package, path, sha256, sha1] of each regular file kept, with `hashFiles`. */
  files: [string, string, string, string][];
  /** Each path the layer holds, with what the loader needs of it (ELF facts, `#!`, ld.so.conf text). */
  tree: TreeNodes;
}

export interface PackageLayerOptions {
  policy: PathPolicy;
  arch: string;
  /** SOURCE_DATE_EPOCH: later mtimes are clamped down to it. */
  clampMtime?: number;
  /** Record every kept file's checksums in the meta (for an SBOM that lists files). */
  hashFiles?: boolean;
}

const MAX_CA_CERT = 64 * 1024;

/**
 * Bumped whenever the code changes what bytes a layer gets from the same
 * inputs, or what its meta records, so that layers cached by an older
 * cudaseal are not reused.
 */
export const LAYER_FORMAT = 7;

/**
 * The entries of a layer holding `packages`, in package order and each
 * package's data.tar order. `meta` is complete once the iterator is done.
 */
export function packageLayerEntries(
  packages: readonly { pkg: LockedPackage; path: string }[],
  options: PackageLayerOptions,
  meta: PackageLayerMeta,
): AsyncIterable<LayerEntry> {
  return (async function* () {
    const emitted = new Set<string>();
    const multiarch = multiarchTuple(options.arch);
    const tree = new TreeCollector();
    for (const { pkg, path } of packages) {
      const deb = await openDeb(await regularFileStream(path, "package"), { packageName: pkg.name });
      const pass = startPass(pkg, deb.control.conffiles ?? "", options, meta, emitted);
      yield* tree.watch(payloadEntries(pass, deb.entries), pkg.name);
      meta.alternatives.push(...parseAlternatives(deb.control.scripts.postinst ?? "", multiarch));
      yield* tree.watch(statusDEntries(pass, deb.control), pkg.name);
      for (const p of pass.kept) meta.paths.push(p);
      meta.packages.push(pass.record);
    }
    // The last body's facts are in once the writer has read it, before it asks past the end.
    meta.tree = tree.nodes();
  })();
}

/** One package's pass over its data.tar: what it has kept so far, and where it reports. */
interface PackagePass {
  pkg: LockedPackage;
  options: PackageLayerOptions;
  meta: PackageLayerMeta;
  /** Every path the layer has written, over all its packages so far. */
  emitted: Set<string>;
  /** The paths of this package that the layer holds. */
  kept: Set<string>;
  /** Checksums of this package's files, for the hard links to them. */
  digests: Map<string, { sha256: string; sha1: string }>;
  conffiles: Set<string>;
  /** [absolute path, md5] of each conffile kept, for the status.d record. */
  conffileSums: [string, string][];
  record: PackageLayerMeta["packages"][number];
  /** An entry's mtime as written: no later than SOURCE_DATE_EPOCH. */
  clamp(mtime: number): number;
}

function startPass(
  pkg: LockedPackage,
  conffiles: string,
  options: PackageLayerOptions,
  meta: PackageLayerMeta,
  emitted: Set<string>,
): PackagePass {
  const latest = options.clampMtime;
  return {
    pkg,
    options,
    meta,
    emitted,
    kept: new Set(),
    digests: new Map(),
    conffiles: conffilePaths(conffiles),
    conffileSums: [],
    record: { name: pkg.name, version: pkg.version, arch: pkg.arch, files: 0, bytes: 0 },
    clamp: (mtime) => (latest !== undefined ? Math.min(mtime, latest) : mtime),
  };
}

/** The layer entries a package's payload gives: each entry kept, after the parent directories not yet written. */
async function* payloadEntries(
  pass: PackagePass,
  entries: AsyncIterable<TarEntry>,
): AsyncGenerator<LayerEntry> {
  for await (const entry of entries) {
    const path = canonicalPath(entry.path);
    // The aliasing links themselves (`lib -> usr/lib`, shipped by base-files)
    // are in the root layer already; folded into usr/ they would replace usr/lib.
    const alias = path === "" || isMergedUsrAlias(entry.path);
    // The licence is a fact about the package, whatever the policy keeps: read before it decides.
    const copyright = alias ? undefined : await readCopyright(pass, entry, path);
    const linkTarget = entry.type === "hardlink" ? canonicalPath(entry.linkname ?? "") : undefined;
    if (alias || !admitted(pass, entry, path, linkTarget)) {
      await entry.skip?.();
      continue;
    }
    for (const parent of parents(path)) {
      if (!pass.emitted.has(parent)) {
        pass.emitted.add(parent);
        yield dirEntry(parent, pass.clamp(entry.mtime));
      }
    }
    yield await keptEntry(pass, entry, path, linkTarget, copyright);
  }
}

/** The package's copyright file, whole, when `entry` is it and not too large to keep; recorded in the meta. */
async function readCopyright(pass: PackagePass, entry: TarEntry, path: string): Promise<Buffer | undefined> {
  const { pkg, meta } = pass;
  if (
    entry.type !== "file" ||
    path !== `usr/share/doc/${pkg.name}/copyright` ||
    (entry.size ?? 0) > MAX_COPYRIGHT_BYTES
  )
    return undefined;
  const copyright = await collect(entry.body);
  meta.copyrights.push([pkg.name, copyright.toString("utf8")]);
  return copyright;
}

/**
 * Whether `entry` goes into the layer: not when the policy drops it (counted
 * in the meta), nor a directory the layer has already, nor a hard link to a
 * file the policy dropped (it would fail to extract). A device node, FIFO or
 * other special file is refused.
 */
function admitted(pass: PackagePass, entry: TarEntry, path: string, linkTarget: string | undefined): boolean {
  const isDir = entry.type === "directory";
  const reason = pass.options.policy.dropReason(path, isDir);
  if (reason) {
    countDropped(pass.meta.dropped, reason, 1, entry.size ?? 0);
    return false;
  }
  if (
    entry.type !== "file" &&
    entry.type !== "directory" &&
    entry.type !== "symlink" &&
    entry.type !== "hardlink"
  ) {
    throw new CudasealError("TAR_DEVICE_NODE", `${pass.pkg.name}: ${entry.path} is a ${entry.type}`, {
      details: { package: pass.pkg.name, entry: entry.path },
    });
  }
  // Directories shared by several packages are written once per layer.
  if (isDir && pass.emitted.has(path)) return false;
  return linkTarget === undefined || pass.kept.has(linkTarget);
}

/** `entry` as the layer holds it (mode by the policy, mtime clamped), recorded in the pass and the meta. */
async function keptEntry(
  pass: PackagePass,
  entry: TarEntry,
  path: string,
  linkTarget: string | undefined,
  copyright: Buffer | undefined,
): Promise<LayerEntry> {
  const { pkg, options, meta } = pass;
  pass.emitted.add(path);
  pass.kept.add(path);
  meta.newestMtime = Math.max(meta.newestMtime, pass.clamp(entry.mtime));
  const out: LayerEntry = {
    path,
    type: entry.type,
    mode: options.policy.mode(path, entry.mode, entry.type === "directory"),
    uid: entry.uid,
    gid: entry.gid,
    mtime: pass.clamp(entry.mtime),
  };
  if (entry.type === "symlink") out.linkname = entry.linkname;
  if (linkTarget !== undefined) out.linkname = linkTarget;
  if (entry.type === "file") {
    out.size = entry.size;
    pass.record.files++;
    pass.record.bytes += entry.size ?? 0;
    meta.keptBytes += entry.size ?? 0;
    out.body = await fileBody(pass, entry, path, copyright);
  }
  // A hard link is its target's bytes, hashed already: the target comes first in the tar.
  const linked = linkTarget !== undefined ? pass.digests.get(linkTarget) : undefined;
  if (options.hashFiles && linked !== undefined) {
    meta.files.push([pkg.name, `/${path}`, linked.sha256, linked.sha1]);
  }
  return out;
}

/**
 * A kept file's body on its way to the layer: a CA certificate is read whole
 * for the bundle; a conffile's MD5 and, with `hashFiles`, the SBOM's
 * checksums are taken as the body streams past.
 */
async function fileBody(
  pass: PackagePass,
  entry: TarEntry,
  path: string,
  copyright: Buffer | undefined,
): Promise<Uint8Array | AsyncIterable<Uint8Array>> {
  const { pkg, meta } = pass;
  let body: Uint8Array | AsyncIterable<Uint8Array>;
  if (isCaSource(path) && (entry.size ?? 0) <= MAX_CA_CERT) {
    const whole = copyright ?? (await collect(entry.body));
    meta.caCerts.push([path, whole.toString("utf8")]);
    body = whole;
  } else {
    body = copyright ?? entry.body;
  }
  if (pass.conffiles.has(path)) {
    body = md5Body(body, (md5) => pass.conffileSums.push([`/${path}`, md5]));
  }
  if (pass.options.hashFiles) {
    body = hashedBody(body, (d) => {
      pass.digests.set(path, d);
      meta.files.push([pkg.name, `/${path}`, d.sha256, d.sha1]);
    });
  }
  return body;
}

/**
 * The package's records in the dpkg database that scanners read
 * (distroless's status.d): the control record, and the md5sums of the files
 * that are actually in the image.
 */
function* statusDEntries(pass: PackagePass, control: OpenedDeb["control"]): Generator<LayerEntry> {
  const { pkg, meta } = pass;
  const md5sums = filterMd5sums(control.md5sums ?? "", pass.kept);
  const mtime = meta.newestMtime;
  yield fileEntry(`var/lib/dpkg/status.d/${pkg.name}`, statusRecord(control.raw, pass.conffileSums), mtime);
  if (md5sums) yield fileEntry(`var/lib/dpkg/status.d/${pkg.name}.md5sums`, md5sums, mtime);
}

async function collect(body: Uint8Array | AsyncIterable<Uint8Array> | undefined): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  if (body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

/** The canonical paths a conffiles member lists (`/etc/x.conf`, or `remove-on-upgrade /etc/y.conf`). */
function conffilePaths(conffiles: string): Set<string> {
  const out = new Set<string>();
  for (const line of conffiles.split("\n")) {
    const path = line
      .trim()
      .split(/\s+/)
      .find((word) => word.startsWith("/"));
    if (path) out.add(canonicalPath(path.replace(/^\/+/, "")));
  }
  return out;
}

/** `body`, unchanged, calling `done` with its MD5 (as dpkg records conffiles) once read to the end. */
function md5Body(
  body: Uint8Array | AsyncIterable<Uint8Array> | undefined,
  done: (md5: string) => void,
): Uint8Array | AsyncIterable<Uint8Array> {
  const md5 = createHash("md5");
  if (body === undefined || body instanceof Uint8Array) {
    const bytes = body ?? new Uint8Array(0);
    done(md5.update(bytes).digest("hex"));
    return bytes;
  }
  return (async function* () {
    for await (const chunk of body) {
      md5.update(chunk);
      yield chunk;
    }
    done(md5.digest("hex"));
  })();
}

/** md5sums lines (`<md5>  <path>`) for the paths kept, with merged-/usr paths. */
function filterMd5sums(md5sums: string, kept: ReadonlySet<string>): string {
  const out: string[] = [];
  for (const line of md5sums.split("\n")) {
    const m = /^([0-9a-f]{32}) [ *]?(.+)$/.exec(line);
    if (!m) continue;
    const path = canonicalPath(m[2].replace(/^\.?\/+/, ""));
    if (kept.has(path)) out.push(`${m[1]}  ${path}`);
  }
  return out.length ? `${out.join("\n")}\n` : "";
}

/** Add to the tally of what the policy left out. */
export function countDropped(
  tally: PackageLayerMeta["dropped"],
  reason: DropReason,
  files: number,
  bytes: number,
): void {
  const d = tally[reason] ?? { files: 0, bytes: 0 };
  d.files += files;
  d.bytes += bytes;
  tally[reason] = d;
}

export function emptyMeta(): PackageLayerMeta {
  return {
    packages: [],
    paths: [],
    keptBytes: 0,
    dropped: {},
    caCerts: [],
    alternatives: [],
    newestMtime: 0,
    copyrights: [],
    files: [],
    tree: [],
  };
}

/** Key of a package layer in the layer cache: everything that decides its bytes. */
export function packageLayerKey(parts: {
  packages: readonly LockedPackage[];
  policy: unknown;
  arch: string;
  clampMtime?: number;
  compression: unknown;
  hashFiles?: boolean;
}): string {
  const hash = createHash("sha256");
  hash.update(
    JSON.stringify({
      format: LAYER_FORMAT,
      debs: parts.packages.map((p) => p.sha256),
      policy: parts.policy,
      arch: parts.arch,
      clamp: parts.clampMtime ?? null,
      compression: parts.compression,
      // The same bytes, but a meta with the files' checksums.
      ...(parts.hashFiles ? { hashFiles: true } : {}),
    }),
  );
  return hash.digest("hex");
}
