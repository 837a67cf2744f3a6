// A run of audit or lint as one document: what was checked, the findings,
// and what the policy file took away. The JSON renderer is this, plus counts.

import { type Finding, severityCounts, sortFindings } from "./finding.ts";

/** The findings of checking one target. */
export interface FindingsReport {
  /** Which command made it. */
  tool: "audit" | "lint";
  /** What was checked: an image reference or a file path. */
  target: string;
  /** `image`: evidence is paths/layers/config fields; `file`: evidence is lines of `target`. */
  kind: "image" | "file";
  findings: Finding[];
  /** Findings a policy exception removed; kept so JSON shows what was waived and by whom. */
  suppressed?: SuppressedFinding[];
  /** Facts about the target (manifest digest, layers, bytes read…). */
  properties?: Record<string, unknown>;
}

/** A finding a policy exception waived. */
export interface SuppressedFinding {
  finding: Finding;
  owner: string;
  expires: string;
  reason?: string;
}

/** The report as a JSON document, findings worst first. */
export function findingsJson(report: FindingsReport): Record<string, unknown> {
  return {
    tool: report.tool,
    target: report.target,
    kind: report.kind,
    ...(report.properties === undefined ? {} : { properties: report.properties }),
    summary: severityCounts(report.findings),
    findings: sortFindings(report.findings),
    suppressed: report.suppressed ?? [],
  };
}
