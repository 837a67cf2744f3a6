// An audit or lint report as a short Markdown summary (markdown.ts has the
// escaping and the budget): a heading naming the target, the findings counted
// by severity, what the policy waived, then the worst findings as a table.

import { locationText, SEVERITIES, severityCounts, sortFindings } from "./finding.ts";
import {
  appendWorstFirst,
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
  const limits = markdownLimits(options);
  const { maxLength, headingLevel } = limits;
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
  appendWorstFirst(
    sections,
    sortFindings(report.findings),
    {
      headers: ["Severity", "Rule", "Where", "Message", "Fix"],
      align: "lllll",
      row: (f) => [
        f.severity,
        escapeMarkdown(f.id),
        escapeMarkdown(locationText(f.evidence)),
        escapeMarkdown(f.message),
        escapeMarkdown(f.fix),
      ],
    },
    limits,
  );
  return joinSections(sections, maxLength);
}
