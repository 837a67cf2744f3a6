// Scan findings as SARIF 2.1.0, in the shape GitHub code scanning takes (the
// log's skeleton is src/util/sarif.ts, shared with audit and lint): one
// run, one rule per advisory id (with a numeric `security-severity` for the
// severity badge), and one result per finding, located at the dpkg record of
// its package in the image. Rules are sorted by id and results keep the
// findings' order, so equal scans give byte-identical documents.

import { sarifLevel, sarifLog, sarifRules, worstSeverity } from "../util/sarif.ts";
import type { Finding, Severity } from "./advisory.ts";
import { severityRank } from "./advisory.ts";
import { recordKey, type ScanResult } from "./report.ts";

/** The `security-severity` GitHub buckets into critical/high/medium/low. */
export const SECURITY_SEVERITY: Readonly<Record<Severity, string>> = {
  critical: "9.5",
  high: "8.0",
  medium: "5.5",
  low: "2.0",
  negligible: "0.0",
  unknown: "0.0",
};

/** The scan as one SARIF 2.1.0 log; `version` is cudaseal's, for tool.driver. */
export function scanSarif(result: ScanResult, version?: string): Record<string, unknown> {
  const { rules, ruleIndex } = sarifRules(result.findings, ruleOf);
  const results = result.findings.map((f) => ({
    ruleId: f.id,
    ruleIndex: ruleIndex.get(f.id),
    level: sarifLevel(f.severity),
    message: { text: messageOf(f) },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: result.records?.get(recordKey(f.package, f.installed)) ?? result.image },
          region: { startLine: 1 },
        },
      },
    ],
    partialFingerprints: { "cudaseal/finding": `${f.id}/${f.package}/${f.installed}` },
  }));
  return sarifLog({
    version,
    rules,
    results,
    properties: { image: result.image, release: result.release, packages: result.packages },
  });
}

function ruleOf(id: string, findings: readonly Finding[]): Record<string, unknown> {
  // One id can be rated differently for different source packages: the rule takes the worst.
  const worst = worstSeverity(findings, severityRank, "unknown");
  const description = findings.find((f) => f.description !== "")?.description ?? id;
  const lines = findings.map(
    (f) =>
      `${f.package} ${f.installed}: ${f.fixedVersion === undefined ? f.status : `fixed in ${f.fixedVersion}`}`,
  );
  return {
    id,
    shortDescription: { text: `${id} (${worst})` },
    fullDescription: { text: description },
    help: { text: `${description}\n\nInstalled packages affected:\n${lines.join("\n")}` },
    properties: { "security-severity": SECURITY_SEVERITY[worst], tags: ["security", "vulnerability"] },
  };
}

function messageOf(f: Finding): string {
  const fix =
    f.fixedVersion !== undefined
      ? `fixed in ${f.fixedVersion}`
      : f.status === "wont-fix"
        ? "Debian will not fix it in this release"
        : "no fixed version yet";
  return `${f.id} (${f.severity}) in ${f.package} ${f.installed}: ${fix}`;
}
