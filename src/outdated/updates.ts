// What can be updated, as pure functions over data already read: a lock
// against the lock its own request resolves to today, or an image's installed
// packages against apt's candidate for each name. An update names the suite
// its candidate comes from, so a security suite's fix can be told apart.

import type { LockedPackage } from "../apt/types.ts";
import { compareVersions } from "../apt/version-compare.ts";
import type { Lock } from "../resolve/index.ts";

/** One package whose candidate is newer than what is installed or locked. */
export interface PackageUpdate {
  name: string;
  arch: string;
  installed: string;
  candidate: string;
  /** The source package and versions the tracker data is matched by. */
  source: string;
  installedSourceVersion: string;
  candidateSourceVersion: string;
  /** The suite the candidate comes from (`trixie-security`), and its repository as sources.list names it. */
  suite: string;
  repository: string;
}

/** A package the new resolution adds or drops (a dependency that changed). */
export interface PackageChange {
  name: string;
  arch: string;
  version: string;
}

export interface LockDelta {
  updates: PackageUpdate[];
  added: PackageChange[];
  removed: PackageChange[];
  /** Locked packages whose new version is older (a fix withdrawn, a pin moved): listed, never counted as updates. */
  downgrades: PackageUpdate[];
}

/** Old lock against new, per architecture: what moved, in name then architecture order. */
export function lockDelta(old: Lock, next: Lock): LockDelta {
  const delta: LockDelta = { updates: [], added: [], removed: [], downgrades: [] };
  const arches = [...new Set([...Object.keys(old.arches), ...Object.keys(next.arches)])].sort();
  for (const arch of arches) {
    const before = new Map((old.arches[arch] ?? []).map((p) => [p.name, p]));
    const after = new Map((next.arches[arch] ?? []).map((p) => [p.name, p]));
    for (const [name, was] of before) {
      const now = after.get(name);
      if (!now) {
        delta.removed.push({ name, arch, version: was.version });
        continue;
      }
      const order = compareVersions(now.version, was.version);
      if (order === 0) continue;
      (order > 0 ? delta.updates : delta.downgrades).push(lockedUpdate(was, now, arch));
    }
    for (const [name, now] of after) {
      if (!before.has(name)) delta.added.push({ name, arch, version: now.version });
    }
  }
  for (const list of Object.values(delta)) (list as { name: string; arch: string }[]).sort(byNameArch);
  return delta;
}

function lockedUpdate(was: LockedPackage, now: LockedPackage, arch: string): PackageUpdate {
  const repository = now.repository ?? "";
  return {
    name: now.name,
    arch,
    installed: was.version,
    candidate: now.version,
    source: was.source,
    installedSourceVersion: was.sourceVersion,
    candidateSourceVersion: now.sourceVersion,
    suite: repository.split(" ")[1] ?? "",
    repository,
  };
}

/** An installed package as outdated reads it from an image. */
export interface InstalledDeb {
  name: string;
  version: string;
  source?: string;
  sourceVersion?: string;
}

/** apt's candidate for a name: what an upgrade would install. */
export interface Candidate {
  version: string;
  source: string;
  sourceVersion: string;
  suite: string;
  repository: string;
}

/**
 * Each installed package whose candidate is newer, and the names the sources
 * no longer offer at all. `candidateOf` answers with apt's choice (the
 * resolver's order: pin priority, then version).
 */
export function installedUpdates(
  installed: readonly InstalledDeb[],
  arch: string,
  candidateOf: (name: string) => Candidate | undefined,
): { updates: PackageUpdate[]; missing: PackageChange[] } {
  const updates: PackageUpdate[] = [];
  const missing: PackageChange[] = [];
  for (const pkg of installed) {
    const candidate = candidateOf(pkg.name);
    if (!candidate) {
      missing.push({ name: pkg.name, arch, version: pkg.version });
      continue;
    }
    if (compareVersions(candidate.version, pkg.version) <= 0) continue;
    updates.push({
      name: pkg.name,
      arch,
      installed: pkg.version,
      candidate: candidate.version,
      source: pkg.source ?? pkg.name,
      installedSourceVersion: pkg.sourceVersion ?? pkg.version,
      candidateSourceVersion: candidate.sourceVersion,
      suite: candidate.suite,
      repository: candidate.repository,
    });
  }
  return { updates: updates.sort(byNameArch), missing: missing.sort(byNameArch) };
}

function byNameArch(a: { name: string; arch: string }, b: { name: string; arch: string }): number {
  return cmp(a.name, b.name) || cmp(a.arch, b.arch);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
