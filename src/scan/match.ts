// Matching, a pure function: which advisories apply to which installed dpkg
// packages. Advisories name source packages and source versions, so each
// binary package is matched by its source (`Source:`, else its own name) and
// its source version; a finding reports the binary package and version.

import { compareVersions } from "../apt/version-compare.ts";
import type { InstalledPackage } from "../source/packages.ts";
import { type Advisory, type Finding, severityRank } from "./advisory.ts";

const STATUS_ORDER: Record<Finding["status"], number> = { fixed: 0, open: 1, "wont-fix": 2 };

/** The findings of `packages` in `release` (a codename), worst first, then by id and package. */
export function matchFindings(
  packages: readonly InstalledPackage[],
  advisories: readonly Advisory[],
  release: string,
): Finding[] {
  return matchIndexed(packages, indexAdvisories(advisories, release));
}

/** One release's advisories by source package: built once, matched against many images (a rescan). */
export type AdvisoryIndex = ReadonlyMap<string, readonly Advisory[]>;

/** The advisories that apply to `release` (a codename), by source package. */
export function indexAdvisories(advisories: readonly Advisory[], release: string): AdvisoryIndex {
  const bySource = new Map<string, Advisory[]>();
  for (const a of advisories) {
    if (a.release !== undefined && a.release !== release) continue;
    const list = bySource.get(a.source);
    if (list) list.push(a);
    else bySource.set(a.source, [a]);
  }
  return bySource;
}

/** matchFindings against an index made by indexAdvisories. */
export function matchIndexed(packages: readonly InstalledPackage[], bySource: AdvisoryIndex): Finding[] {
  const found = new Map<string, Finding>();
  for (const pkg of packages) {
    if (pkg.manager !== "dpkg") continue;
    const source = pkg.source ?? pkg.name;
    const version = pkg.sourceVersion ?? pkg.version;
    for (const a of bySource.get(source) ?? []) {
      const finding = findingOf(a, pkg, source, version);
      if (!finding) continue;
      const key = `${finding.id}\0${pkg.name}\0${pkg.arch}\0${pkg.version}`;
      const seen = found.get(key);
      if (!seen || STATUS_ORDER[finding.status] < STATUS_ORDER[seen.status]) found.set(key, finding);
    }
  }
  return [...found.values()].sort(compareFindings);
}

function findingOf(a: Advisory, pkg: InstalledPackage, source: string, version: string): Finding | undefined {
  if (a.introduced !== undefined && a.introduced !== "0" && compareVersions(version, a.introduced) < 0)
    return undefined;
  const base = {
    id: a.id,
    package: pkg.name,
    source,
    installed: pkg.version,
    severity: a.severity,
    description: a.description,
  };
  if (a.state === "resolved") {
    const fixed = a.fixedVersion;
    // "0" is the tracker's way of saying this release was never affected.
    if (fixed === undefined || fixed === "0" || compareVersions(version, fixed) >= 0) return undefined;
    return { ...base, fixedVersion: fixed, status: "fixed" };
  }
  return { ...base, status: a.state };
}

/** Severity (worst first), then id, package, installed version. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    cmp(a.id, b.id) ||
    cmp(a.package, b.package) ||
    cmp(a.installed, b.installed)
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
