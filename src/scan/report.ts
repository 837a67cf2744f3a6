// What a scan prints: a table for people, JSON for pipes, and the gate that
// decides whether the scan fails.

import { textTable } from "../util/text-table.ts";
import { type Finding, SEVERITIES, type Severity, severityRank } from "./advisory.ts";
import { formatDuration } from "./duration.ts";
import type { IgnoreEntry } from "./ignore-file.ts";
import type { SuppressedFinding } from "./suppress.ts";
import type { DatabaseInfo } from "./tracker-database.ts";

/** The result of scanning one image. */
export interface ScanResult {
  image: string;
  /** The Debian release matched against (a codename). */
  release: string;
  /** Installed dpkg packages looked at. */
  packages: number;
  /** Python distributions looked at, when the image has any. */
  pythonPackages?: number;
  /** The findings that count: what VEX and the ignore file did not suppress. */
  findings: Finding[];
  /** The image's manifest digest. */
  digest?: string;
  /** The digest of the index the manifest was chosen from, when it came from one. */
  indexDigest?: string;
  /** Findings VEX statements or the ignore file took out, with why. */
  suppressed?: SuppressedFinding[];
  /** Ignore-file entries past their date, which suppressed nothing. */
  expiredIgnores?: IgnoreEntry[];
  /** Where the vulnerability data came from and how old it is. */
  database?: DatabaseInfo;
  /** Things that did not stop the scan but should be seen (the CLI prints them on stderr). */
  warnings?: string[];
  /** Where each package is recorded in the image (`var/lib/dpkg/status`), keyed by recordKey. */
  records?: ReadonlyMap<string, string>;
}

/** The key of ScanResult.records for a package name and installed version. */
export function recordKey(name: string, version: string): string {
  return `${name}\0${version}`;
}

const HEADERS = ["ID", "PACKAGE", "INSTALLED", "FIXED", "SEVERITY", "STATUS"];

/** Findings as an aligned text table, one line per finding. */
export function findingsTable(findings: readonly Finding[]): string {
  const rows = findings.map((f) => [
    f.id,
    f.package,
    f.installed,
    f.fixedVersion ?? "-",
    f.severity,
    f.status,
  ]);
  return textTable(HEADERS, rows);
}

/** Findings counted by severity, every severity present. */
export function severityCounts(findings: readonly Finding[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) counts[f.severity]++;
  return counts;
}

/** The lines under the table: where the data came from, its age, what was suppressed. */
export function findingsFooter(result: ScanResult): string {
  const lines: string[] = [];
  const db = result.database;
  if (db) {
    const age = db.ageSeconds === undefined ? "" : `, ${formatDuration(db.ageSeconds * 1000)} old`;
    lines.push(
      `Database: ${db.format} from ${db.source}${age}${db.checkedAt ? ` (checked ${db.checkedAt})` : ""}`,
    );
  }
  const suppressed = result.suppressed ?? [];
  if (suppressed.length > 0) {
    const vex = suppressed.filter((f) => f.suppressedBy.kind === "vex").length;
    lines.push(
      `Suppressed: ${suppressed.length} (${vex} by VEX, ${suppressed.length - vex} by the ignore file; --format json lists them)`,
    );
  }
  if ((result.expiredIgnores ?? []).length > 0)
    lines.push(`Expired ignore entries: ${result.expiredIgnores?.length} (they suppress nothing)`);
  return lines.join("\n");
}

/** The scan as a JSON document. */
export function scanJson(result: ScanResult): Record<string, unknown> {
  return {
    image: result.image,
    digest: result.digest,
    ...(result.indexDigest === undefined ? {} : { indexDigest: result.indexDigest }),
    release: result.release,
    packages: result.packages,
    ...(result.pythonPackages === undefined ? {} : { pythonPackages: result.pythonPackages }),
    database: result.database,
    summary: severityCounts(result.findings),
    findings: result.findings,
    suppressed: result.suppressed ?? [],
    expiredIgnores: (result.expiredIgnores ?? []).map(({ id, package: pkg, reason, expires, file }) => ({
      id,
      package: pkg,
      reason,
      expires,
      file,
    })),
    warnings: result.warnings ?? [],
  };
}

/**
 * The findings that fail a gate of `failOn` or worse; with `onlyFixed`, only
 * those a fixed version exists for. `unknown` severity never fails a gate.
 */
export function gateFailures(findings: readonly Finding[], failOn: Severity, onlyFixed: boolean): Finding[] {
  const threshold = severityRank(failOn);
  return findings.filter(
    (f) =>
      f.severity !== "unknown" &&
      severityRank(f.severity) >= threshold &&
      (!onlyFixed || f.status === "fixed"),
  );
}

/** Whether the scan fails a gate of `failOn` or worse. */
export function failsGate(findings: readonly Finding[], failOn: Severity, onlyFixed: boolean): boolean {
  return gateFailures(findings, failOn, onlyFixed).length > 0;
}
