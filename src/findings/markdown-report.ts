// An audit or lint report as a short Markdown summary (markdown.ts has the
// escaping and the budget): a heading naming the target, the findings counted
// by severity, what the policy waived, then the worst findings as a table.

import { locationText, SEVERITIES, severityCounts, sortFindings } from "./finding.ts";
import {
  budgetedTable,
  candidateRows,
  escapeMarkdown,
  joinSections,
  type MarkdownOptions,
  markdownHeader,
  markdownHeading,
  markdownLimits,
  markdownRow,
} from "./markdown.ts";
import type { FindingsReport } from "./report.ts";

/** The report as Markdown, strictly under GitHub's 65,536-character limit however many findings it has. */
export function findingsMarkdown(report: FindingsReport, options: MarkdownOptions = {}): string {
  const { maxLength, headingLevel, maxRows } = markdownLimits(options);
  const counts = severityCounts(report.findings);
  const waived = report.suppressed?.length ?? 0;
  const title = `cudaseal ${report.tool}: ${escapeMarkdown(report.target)}`;
  const summary =
    report.findings.length === 0
      ? `No findings${waived > 0 ? ` (${waived} waived by the policy)` : ""}.`
      : [
          markdownHeader(["Severity", "Findings"], "lr"),
          ...SEVERITIES.map((s) => markdownRow([s, String(counts[s])])),
          markdownRow(["**total**", `**${report.findings.length}**`]),
          ...(waived > 0 ? ["", `${waived} more waived by the policy (see the JSON output).`] : []),
        ].join("\n");
  const sections = [markdownHeading(headingLevel, title), summary];
  if (report.findings.length > 0) {
    const heading = markdownHeading(headingLevel + 1, "Findings, worst first");
    const sorted = sortFindings(report.findings);
    const rows = sorted
      .slice(0, candidateRows(sorted.length, maxRows, maxLength))
      .map((f) => [
        f.severity,
        escapeMarkdown(f.id),
        escapeMarkdown(locationText(f.evidence)),
        escapeMarkdown(f.message),
        escapeMarkdown(f.fix),
      ]);
    const used = sections.join("\n\n").length + heading.length + 6;
    const table = budgetedTable(
      ["Severity", "Rule", "Where", "Message", "Fix"],
      "lllll",
      rows,
      maxRows,
      maxLength - used,
      sorted.length,
    );
    if (table !== "") sections.push(heading, table);
  }
  return joinSections(sections, maxLength);
}
