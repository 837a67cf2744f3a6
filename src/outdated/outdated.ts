// `cudaseal outdated`: what a lock or an image could update to today, and
// which known vulnerabilities each update fixes. A lock's request is resolved
// again against the current sources (security suite included), so the report
// and the updated lock are the same answer and the new lock stays consistent:
// a new dependency comes with it, one no longer needed goes. An image has no
// request; each installed package is held against apt's candidate for it.

import { readSources } from "../apt/repository.ts";
import type { AptSource } from "../apt/sources.ts";
import type { ContentStore } from "../cache/content-store.ts";
import { CudasealError, inStage } from "../errors.ts";
import { type Lock, lockFromSources, PackageIndex, repositoryName } from "../resolve/index.ts";
import {
  type Advisory,
  type DatabaseInfo,
  type DatabaseOptions,
  debianCodename,
  openVulnerabilityDatabase,
} from "../scan/index.ts";
import { readFilesystem } from "../source/filesystem.ts";
import { openImage } from "../source/image-source.ts";
import { installedPackages, isPackageDb } from "../source/packages.ts";
import { advisoriesBySource, type CheckedUpdate, checkUpdates } from "./fixes.ts";
import { installedUpdates, lockDelta, type PackageChange, type PackageUpdate } from "./updates.ts";

const OS_RELEASE = ["/etc/os-release", "/usr/lib/os-release"];

export interface OutdatedOptions {
  store: ContentStore;
  /** Where the vulnerability data comes from; absent: no CVEs are matched (`--no-cves`). */
  database?: DatabaseOptions;
  onNote?: (note: string) => void;
  signal?: AbortSignal;
}

export interface OutdatedLockOptions extends OutdatedOptions {
  /** The sources to resolve against, as `build` and `lock` read them. */
  sources: readonly AptSource[];
  /** The Debian release whose tracker data applies (a codename). */
  release: string;
}

export interface OutdatedImageOptions extends OutdatedOptions {
  /** The sources for the image's release (from its os-release unless `release` is given). */
  sourcesFor: (release: string) => AptSource[];
  release?: string;
  /** Which platform of a multi-platform image (default: this machine's). */
  arch?: string;
}

/** What can be updated, and what it fixes. */
export interface OutdatedReport {
  kind: "lock" | "image";
  /** The lock file or image reference. */
  target: string;
  release: string;
  /** Every newer candidate, security or not, by name then architecture. */
  updates: CheckedUpdate[];
  /** How many of `updates` are security updates: the exit status hangs on it. */
  securityUpdates: number;
  /** A lock's new resolution adds these (new dependencies). */
  added: PackageChange[];
  /** A lock's new resolution drops these; for an image, packages the sources no longer offer. */
  removed: PackageChange[];
  /** Locked versions the sources now offer only older versions of. */
  downgrades: PackageUpdate[];
  /** The lock the request resolves to today (for `--write-lock`); lock reports only. */
  lock?: Lock;
  database?: DatabaseInfo;
  warnings: string[];
}

/**
 * The Debian suite a lock was resolved in, from the repositories it records
 * (`bookworm` for `bookworm` and `bookworm-security`); undefined when they
 * name none (a flat repository's `/`) or more than one. A lock made with
 * `--suite bookworm` must be resolved again in bookworm, not in the default.
 */
export function lockSuite(lock: Lock): string | undefined {
  const suites = new Set(
    lock.sources
      .map((s) => s.suite.replace(/-(security|updates|backports)$/, ""))
      .filter((s) => /^[a-z][a-z0-9]*$/.test(s)),
  );
  return suites.size === 1 ? [...suites][0] : undefined;
}

/** A lock against what its request resolves to today. */
export async function outdatedLock(
  lock: Lock,
  target: string,
  options: OutdatedLockOptions,
): Promise<OutdatedReport> {
  const { request } = lock;
  const resolved = await stage("resolve", () =>
    lockFromSources({
      sources: options.sources,
      archs: request.arches,
      packages: request.packages,
      provided: request.provided,
      excludes: request.excludes,
      recommends: request.withRecommends,
      store: options.store,
      onNote: options.onNote,
      signal: options.signal,
    }),
  );
  const delta = lockDelta(lock, resolved.lock);
  const vulns = await advisories(options.database, options.release);
  const updates = checkUpdates(delta.updates, advisoriesBySource(vulns.advisories, options.release));
  return {
    kind: "lock",
    target,
    release: options.release,
    updates,
    securityUpdates: updates.filter((u) => u.security).length,
    added: delta.added,
    removed: delta.removed,
    downgrades: delta.downgrades,
    lock: resolved.lock,
    ...(vulns.info ? { database: vulns.info } : {}),
    warnings: vulns.warnings,
  };
}

/** An image's installed dpkg packages against apt's candidates for its release. */
export async function outdatedImage(ref: string, options: OutdatedImageOptions): Promise<OutdatedReport> {
  const { packages, arch, osRelease } = await stage("read image", async () => {
    const image = await openImage(ref, { arch: options.arch });
    const fs = await readFilesystem(image, {
      origin: ref,
      want: (path) => isPackageDb(path) || OS_RELEASE.includes(path),
    });
    const config = image.config as { architecture?: unknown };
    return {
      packages: installedPackages(fs).filter((p) => p.manager === "dpkg"),
      arch: options.arch ?? (typeof config.architecture === "string" ? config.architecture : "amd64"),
      osRelease: (OS_RELEASE.map((p) => fs.contents.get(p)).find((b) => b !== undefined) ?? "").toString(),
    };
  });
  const release = options.release ?? debianCodename(osRelease);
  if (release === undefined) {
    throw new CudasealError("IMAGE_INVALID", `cannot tell which Debian release ${ref} is`, {
      hint: "its os-release names no VERSION_CODENAME or known VERSION_ID: pass --release CODENAME",
    });
  }
  if (packages.length === 0) {
    throw new CudasealError("IMAGE_INVALID", `${ref} has no dpkg database to compare`, {
      hint: "outdated reads /var/lib/dpkg/status or status.d; for a cudaseal build, pass its lock instead",
    });
  }
  for (const p of packages) checkInstalled(p, ref);
  const index = await stage("resolve", () =>
    readSources(options.sourcesFor(release), {
      arches: [arch],
      store: options.store,
      onNote: options.onNote,
      signal: options.signal,
    }),
  );
  const available = index.available.get(arch);
  const candidates = new PackageIndex(available ?? [], arch);
  const { updates: found, missing } = installedUpdates(packages, arch, (name) => {
    const best = candidates.versionsOf(name)[0];
    if (!best) return undefined;
    return {
      version: best.version,
      source: best.source,
      sourceVersion: best.sourceVersion,
      suite: best.repo.suite,
      repository: repositoryName(best.repo),
    };
  });
  const vulns = await advisories(options.database, release);
  const updates = checkUpdates(found, advisoriesBySource(vulns.advisories, release));
  return {
    kind: "image",
    target: ref,
    release,
    updates,
    securityUpdates: updates.filter((u) => u.security).length,
    added: [],
    removed: missing,
    downgrades: [],
    ...(vulns.info ? { database: vulns.info } : {}),
    warnings: vulns.warnings,
  };
}

// What dpkg itself accepts in a name and a version: anything else in an
// image's database (a newline, an escape sequence) would reach the table and
// the notes printed to a terminal, so the image is refused instead.
const PACKAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9+._-]*$/;
const VERSION = /^[A-Za-z0-9.+~:-]+$/;

function checkInstalled(
  p: { name: string; version: string; source?: string; sourceVersion?: string },
  ref: string,
): void {
  const bad =
    (!PACKAGE_NAME.test(p.name) && ["name", p.name]) ||
    (!VERSION.test(p.version) && ["version", p.version]) ||
    (p.source !== undefined && !PACKAGE_NAME.test(p.source) && ["source", p.source]) ||
    (p.sourceVersion !== undefined && !VERSION.test(p.sourceVersion) && ["source version", p.sourceVersion]);
  if (!bad) return;
  // JSON.stringify: the value is shown with its control characters escaped.
  throw new CudasealError(
    "IMAGE_INVALID",
    `${ref}: its dpkg database holds a package ${bad[0]} dpkg would not accept: ${JSON.stringify(bad[1])}`,
    {
      hint: "the image's package database is damaged or forged; rebuild the image",
      details: { field: bad[0] },
    },
  );
}

async function advisories(
  database: DatabaseOptions | undefined,
  release: string,
): Promise<{ advisories: readonly Advisory[]; info?: DatabaseInfo; warnings: string[] }> {
  if (!database) return { advisories: [], warnings: [] };
  const db = await openVulnerabilityDatabase(database, release);
  return { advisories: db.advisories, info: db.info, warnings: db.warnings };
}

async function stage<T>(name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw inStage(name, err);
  }
}
