// An audit report as a Markdown summary for a pull-request comment or a CI
// job summary: the findings model's summary (src/findings), kept under
// GitHub's comment limit however many findings the image has.

import { type FindingsReport, findingsMarkdown, type MarkdownOptions } from "../findings/index.ts";

/** The audit as Markdown: counts by severity, what the policy waived, the worst findings. */
export function auditMarkdown(report: FindingsReport, options: MarkdownOptions = {}): string {
  return findingsMarkdown(report, options);
}
