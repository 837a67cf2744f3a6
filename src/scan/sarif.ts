// Scan findings as SARIF 2.1.0, in the shape GitHub code scanning takes (the
// log's skeleton is src/util/sarif.ts, shared with audit and lint): one
// run, one rule per advisory id (with a numeric `security-severity` for the
// severity badge), and one result per finding, located at the dpkg record of
// its package in the image. Findings VEX or the ignore file suppressed are
// results too, after the others, each with an `external`, `accepted`
// suppression (SARIF §3.27.23, §3.35) that says why: code scanning shows them
// dismissed instead of losing the audit trail. Rules are sorted by id and
// results keep the findings' order, so equal scans give byte-identical
// documents.

import { sarifLevel, sarifLog, sarifRules, worstSeverity } from "../util/sarif.ts";
import type { Finding, Severity } from "./advisory.ts";
import { severityRank } from "./advisory.ts";
import { recordKey, type ScanResult } from "./report.ts";
import type { Suppression } from "./suppress.ts";

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
  const suppressed = result.suppressed ?? [];
  // Rules cover suppressed findings too: every result must point at its rule.
  const { rules, ruleIndex } = sarifRules([...result.findings, ...suppressed], ruleOf);
  const resultOf = (f: Finding) => ({
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
  });
  const results = [
    ...result.findings.map(resultOf),
    ...suppressed.map((f) => ({ ...resultOf(f), suppressions: [suppressionOf(f.suppressedBy)] })),
  ];
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

/** A SARIF suppression: decided outside the image (a VEX document, the ignore file), and in force. */
function suppressionOf(s: Suppression): Record<string, unknown> {
  if (s.kind === "vex") {
    const why = [s.justification, s.impactStatement].filter((w) => w !== undefined).join(": ");
    return {
      kind: "external",
      status: "accepted",
      justification: `VEX ${s.status}${why === "" ? "" : ` (${why})`} in ${s.file}`,
      properties: {
        source: "vex",
        file: s.file,
        vexStatus: s.status,
        ...(s.justification === undefined ? {} : { vexJustification: s.justification }),
      },
    };
  }
  return {
    kind: "external",
    status: "accepted",
    justification: `ignored until ${s.expires}: ${s.reason} (${s.file})`,
    properties: { source: "ignore-file", file: s.file, expires: s.expires },
  };
}
