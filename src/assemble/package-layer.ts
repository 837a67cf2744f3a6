// Streams a group of packages straight from their .deb files into one layer:
// data.tar entries are read, checked, put through the path policy and written
// to the layer's tar as they come, each file body flowing from the package's
// decompressor to the layer's compressor without touching disk or being held
// whole. What the system layer needs later (CA certificates, alternatives,
// the set of paths present) is gathered on the way, and so is what the SBOM
// needs: each package's copyright file, read from the payload whether or not
// the policy keeps it, and, where asked, each kept file's checksums.

import { createHash } from "node:crypto";
import type { LockedPackage } from "../apt/types.ts";
import { openDeb } from "../deb/deb-reader.ts";
import { CudasealError } from "../errors.ts";
import { dirEntry, type LayerEntry, parents } from "../layer/entry.ts";
import { canonicalPath, type DropReason, isMergedUsrAlias, type PathPolicy } from "../layer/path-policy.ts";
import { hashedBody, MAX_COPYRIGHT_BYTES } from "../sbom/index.ts";
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
export const LAYER_FORMAT = 4;

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
    for (const { pkg, path } of packages) {
      const deb = await openDeb(await regularFileStream(path, "package"), { packageName: pkg.name });
      const kept = new Set<string>();
      const digests = new Map<string, { sha256: string; sha1: string }>();
      const conffiles = conffilePaths(deb.control.conffiles ?? "");
      const conffileSums: [string, string][] = [];
      const record = { name: pkg.name, version: pkg.version, arch: pkg.arch, files: 0, bytes: 0 };
      const clamp = (t: number) => (options.clampMtime !== undefined ? Math.min(t, options.clampMtime) : t);
      for await (const entry of deb.entries) {
        // The aliasing links themselves (`lib -> usr/lib`, shipped by base-files)
        // are in the root layer already; folded into usr/ they would replace usr/lib.
        const path = canonicalPath(entry.path);
        if (path === "" || isMergedUsrAlias(entry.path)) {
          await entry.skip?.();
          continue;
        }
        const isDir = entry.type === "directory";
        // The licence is a fact about the package, whatever the policy keeps: read before it decides.
        let copyright: Buffer | undefined;
        if (
          entry.type === "file" &&
          path === `usr/share/doc/${pkg.name}/copyright` &&
          (entry.size ?? 0) <= MAX_COPYRIGHT_BYTES
        ) {
          copyright = await collect(entry.body);
          meta.copyrights.push([pkg.name, copyright.toString("utf8")]);
        }
        const reason = options.policy.dropReason(path, isDir);
        if (reason) {
          countDropped(meta.dropped, reason, 1, entry.size ?? 0);
          await entry.skip?.();
          continue;
        }
        if (
          entry.type !== "file" &&
          entry.type !== "directory" &&
          entry.type !== "symlink" &&
          entry.type !== "hardlink"
        ) {
          throw new CudasealError("TAR_DEVICE_NODE", `${pkg.name}: ${entry.path} is a ${entry.type}`, {
            details: { package: pkg.name, entry: entry.path },
          });
        }
        // Directories shared by several packages are written once per layer; a
        // hardlink to a file the policy dropped would fail to extract.
        const linkTarget = entry.type === "hardlink" ? canonicalPath(entry.linkname ?? "") : undefined;
        if ((isDir && emitted.has(path)) || (linkTarget !== undefined && !kept.has(linkTarget))) {
          await entry.skip?.();
          continue;
        }
        for (const parent of parents(path)) {
          if (!emitted.has(parent)) {
            emitted.add(parent);
            yield dirEntry(parent, clamp(entry.mtime));
          }
        }
        emitted.add(path);
        kept.add(path);
        meta.newestMtime = Math.max(meta.newestMtime, clamp(entry.mtime));
        const out: LayerEntry = {
          path,
          type: entry.type,
          mode: options.policy.mode(path, entry.mode, isDir),
          uid: entry.uid,
          gid: entry.gid,
          mtime: clamp(entry.mtime),
        };
        if (entry.type === "symlink") out.linkname = entry.linkname;
        if (linkTarget !== undefined) out.linkname = linkTarget;
        if (entry.type === "file") {
          out.size = entry.size;
          record.files++;
          record.bytes += entry.size ?? 0;
          meta.keptBytes += entry.size ?? 0;
          if (isCaSource(path) && (entry.size ?? 0) <= MAX_CA_CERT) {
            const body = copyright ?? (await collect(entry.body));
            meta.caCerts.push([path, body.toString("utf8")]);
            out.body = body;
          } else {
            out.body = copyright ?? entry.body;
          }
          if (conffiles.has(path)) {
            out.body = md5Body(out.body, (md5) => conffileSums.push([`/${path}`, md5]));
          }
          if (options.hashFiles) {
            out.body = hashedBody(out.body, (d) => {
              digests.set(path, d);
              meta.files.push([pkg.name, `/${path}`, d.sha256, d.sha1]);
            });
          }
        }
        // A hard link is its target's bytes, hashed already: the target comes first in the tar.
        const linked = linkTarget !== undefined ? digests.get(linkTarget) : undefined;
        if (options.hashFiles && linked !== undefined) {
          meta.files.push([pkg.name, `/${path}`, linked.sha256, linked.sha1]);
        }
        yield out;
      }
      meta.alternatives.push(...parseAlternatives(deb.control.scripts.postinst ?? "", multiarch));
      // The dpkg database scanners read (distroless's status.d): the control
      // record, and the md5sums of the files that are actually in the image.
      const md5sums = filterMd5sums(deb.control.md5sums ?? "", kept);
      const mtime = meta.newestMtime;
      yield {
        path: `var/lib/dpkg/status.d/${pkg.name}`,
        type: "file",
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtime,
        ...bodyOf(statusRecord(deb.control.raw, conffileSums)),
      };
      if (md5sums) {
        yield {
          path: `var/lib/dpkg/status.d/${pkg.name}.md5sums`,
          type: "file",
          mode: 0o644,
          uid: 0,
          gid: 0,
          mtime,
          ...bodyOf(md5sums),
        };
      }
      for (const p of kept) meta.paths.push(p);
      meta.packages.push(record);
    }
  })();
}

function bodyOf(text: string): { size: number; body: Buffer } {
  const body = Buffer.from(text);
  return { size: body.length, body };
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
