// The findings model shared by `cudaseal audit` and `cudaseal lint`: what a
// finding is, how it renders (table, JSON, SARIF 2.1.0, Markdown), the --fail-on gate,
// the policy file, and redaction of secrets.

export {
  compareFindings,
  type Evidence,
  type Finding,
  isSeverity,
  locationText,
  SEVERITIES,
  type Severity,
  severityCounts,
  severityRank,
  sortFindings,
} from "./finding.ts";
export { gateFailures, parseFailOn } from "./gate.ts";
export {
  appendWorstFirst,
  budgetedTable,
  candidateRows,
  DEFAULT_MARKDOWN_LENGTH,
  DEFAULT_MARKDOWN_ROWS,
  escapeMarkdown,
  joinSections,
  MARKDOWN_LIMIT,
  type MarkdownOptions,
  markdownHeader,
  markdownHeading,
  markdownLimits,
  markdownRow,
} from "./markdown.ts";
export { findingsMarkdown } from "./markdown-report.ts";
export {
  type ApplyPolicyOptions,
  applyPolicy,
  type Exception,
  loadPolicy,
  type PathException,
  POLICY_EXPIRED_ID,
  type Policy,
  type PolicyOutcome,
  parsePolicy,
  type RuleException,
} from "./policy.ts";
export { redact } from "./redact.ts";
export { type FindingsReport, findingsJson, type SuppressedFinding } from "./report.ts";
export { findingsSarif, type SarifOptions, SECURITY_SEVERITY } from "./sarif.ts";
export { findingsTable } from "./table.ts";
