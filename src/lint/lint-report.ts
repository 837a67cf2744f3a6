// Lint results as one shared FindingsReport (every file's findings, each
// located by its own path), with the policy file applied, and as SARIF.
// The SARIF is the shared renderer's, plus the one thing a file finding has
// that the shared Evidence does not: the instruction's last line
// (region.endLine), so code scanning highlights a whole continued RUN.

import {
  applyPolicy,
  type FindingsReport,
  findingsSarif,
  type Policy,
  type SarifOptions,
  sortFindings,
} from "../findings/index.ts";
import { LINT_RULE_IDS, type LintResult } from "./lint.ts";

export interface LintReportOptions {
  policy?: Policy;
  /** The day policy expiry is judged by; today by default. */
  today?: Date;
}

export interface LintReport {
  report: FindingsReport;
  /** Rule ids the policy names that lint does not have (likely typos). */
  unknownRules: string[];
}

/** One report over every linted file. */
export function lintReport(results: readonly LintResult[], options: LintReportOptions = {}): LintReport {
  const files = results.map((r) => r.path);
  let findings = results.flatMap((r) => r.findings);
  let suppressed: FindingsReport["suppressed"] = [];
  let unknownRules: string[] = [];
  if (options.policy !== undefined) {
    const outcome = applyPolicy(findings, options.policy, {
      ...(options.today === undefined ? {} : { today: options.today }),
      knownRules: LINT_RULE_IDS,
    });
    findings = outcome.findings;
    suppressed = outcome.suppressed;
    // The policy is shared with audit: its rules are not typos, just not lint's.
    unknownRules = outcome.unknownRules.filter((id) => id.startsWith("CS-DF-"));
  }
  const report: FindingsReport = {
    tool: "lint",
    target: files.length === 1 ? files[0] : `${files.length} Dockerfiles`,
    kind: "file",
    findings,
    suppressed,
    properties: { files },
  };
  return { report, unknownRules };
}

/** The report as SARIF 2.1.0, every result's region spanning its whole instruction. */
export function lintSarif(report: FindingsReport, options: SarifOptions = {}): Record<string, unknown> {
  const doc = findingsSarif(report, options) as { runs: { results: SarifResult[] }[] };
  const findings = sortFindings(report.findings);
  doc.runs[0].results.forEach((result, i) => {
    const endLine = (findings[i]?.evidence as { endLine?: unknown } | undefined)?.endLine;
    const region = result.locations?.[0]?.physicalLocation?.region;
    if (region !== undefined && typeof endLine === "number" && endLine >= region.startLine) {
      region.endLine = endLine;
    }
  });
  return doc as unknown as Record<string, unknown>;
}

interface SarifResult {
  locations?: { physicalLocation?: { region?: { startLine: number; endLine?: number } } }[];
}
