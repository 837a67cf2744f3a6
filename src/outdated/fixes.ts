// Which known vulnerabilities an update fixes, and whether it is a security
// update. An advisory counts when it was affecting the installed source
// version and its first fixed version is no newer than the candidate's:
//
//   installed source version < fixed version <= candidate source version
//
// An update is a security update when it fixes at least one such advisory,
// or when its candidate comes from a security suite (Debian's
// `<release>-security`, Ubuntu's `<release>-security`): the security archive
// publishes nothing else, and the tracker data may lag its fixes by hours.

import { compareVersions } from "../apt/version-compare.ts";
import { type Advisory, type Severity, severityRank } from "../scan/index.ts";
import type { PackageUpdate } from "./updates.ts";

/** One vulnerability an update fixes. */
export interface Fix {
  id: string;
  severity: Severity;
  fixedVersion: string;
  description: string;
}

/** An update with what it fixes and whether it counts as a security update. */
export interface CheckedUpdate extends PackageUpdate {
  security: boolean;
  fixes: Fix[];
}

/** True for a suite that publishes security fixes only. */
export function isSecuritySuite(suite: string): boolean {
  return /-security$/.test(suite.replace(/\/+$/, ""));
}

/** The advisories of one release, by source package, for fixesOf. */
export function advisoriesBySource(
  advisories: readonly Advisory[],
  release: string,
): Map<string, Advisory[]> {
  const bySource = new Map<string, Advisory[]>();
  for (const a of advisories) {
    if (a.ecosystem !== undefined || (a.release !== undefined && a.release !== release)) continue;
    const list = bySource.get(a.source);
    if (list) list.push(a);
    else bySource.set(a.source, [a]);
  }
  return bySource;
}

/** What `update` fixes, worst first, then by id. */
export function fixesOf(update: PackageUpdate, bySource: ReadonlyMap<string, Advisory[]>): Fix[] {
  const fixes = new Map<string, Fix>();
  for (const a of bySource.get(update.source) ?? []) {
    const fixed = a.fixedVersion;
    // "0": this release was never affected.
    if (a.state !== "resolved" || fixed === undefined || fixed === "0") continue;
    if (a.introduced !== undefined && a.introduced !== "0") {
      if (compareVersions(update.installedSourceVersion, a.introduced) < 0) continue;
    }
    if (compareVersions(update.installedSourceVersion, fixed) >= 0) continue;
    if (compareVersions(fixed, update.candidateSourceVersion) > 0) continue;
    if (!fixes.has(a.id)) {
      fixes.set(a.id, { id: a.id, severity: a.severity, fixedVersion: fixed, description: a.description });
    }
  }
  return [...fixes.values()].sort(
    (x, y) => severityRank(y.severity) - severityRank(x.severity) || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0),
  );
}

/** Each update with its fixes and security verdict. */
export function checkUpdates(
  updates: readonly PackageUpdate[],
  bySource: ReadonlyMap<string, Advisory[]>,
): CheckedUpdate[] {
  return updates.map((u) => {
    const fixes = fixesOf(u, bySource);
    return { ...u, security: fixes.length > 0 || isSecuritySuite(u.suite), fixes };
  });
}
