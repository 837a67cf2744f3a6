// What `outdated` prints: a table for people, JSON for pipes, Markdown for a
// pull request's body or a job summary (every cell escaped: package names
// and advisory text come from an archive and a feed).

import {
  budgetedTable,
  candidateRows,
  escapeMarkdown,
  type MarkdownOptions,
  markdownHeading,
  markdownLimits,
} from "../findings/index.ts";
import { textTable } from "../util/text-table.ts";
import type { CheckedUpdate } from "./fixes.ts";
import type { OutdatedReport } from "./outdated.ts";

/** The report as JSON: everything but the new lock, which --write-lock writes. */
export function outdatedJson(report: OutdatedReport): Record<string, unknown> {
  const { lock: _lock, ...rest } = report;
  return rest;
}

/** One line per update: package, versions, suite, what it fixes. */
export function outdatedTable(report: OutdatedReport): string {
  const rows = report.updates.map((u) => [
    u.name,
    u.arch,
    u.installed,
    u.candidate,
    u.suite,
    u.security ? "yes" : "no",
    fixList(u),
  ]);
  return textTable(["PACKAGE", "ARCH", "INSTALLED", "CANDIDATE", "SUITE", "SECURITY", "FIXES"], rows);
}

/** The line under the table: how many updates, how many for security. */
export function outdatedSummary(report: OutdatedReport): string {
  const n = report.updates.length;
  if (n === 0) return `${report.target}: up to date (Debian ${report.release})`;
  const fixes = new Set(report.updates.flatMap((u) => u.fixes.map((f) => f.id))).size;
  return (
    `${report.target}: ${n} update${n === 1 ? "" : "s"}, ${report.securityUpdates} for security` +
    (fixes > 0 ? `, fixing ${fixes} known vulnerabilit${fixes === 1 ? "y" : "ies"}` : "") +
    ` (Debian ${report.release})`
  );
}

/** A Markdown summary under GitHub's comment limit. */
export function outdatedMarkdown(report: OutdatedReport, options: MarkdownOptions = {}): string {
  const limits = markdownLimits(options);
  const head = [
    markdownHeading(limits.headingLevel, `Updates for ${escapeMarkdown(report.target)}`),
    escapeMarkdown(outdatedSummary(report), 400),
  ].join("\n\n");
  if (report.updates.length === 0) return `${head}\n`;
  // Security updates first: they are why the summary exists.
  const sorted = [...report.updates].sort((a, b) => Number(b.security) - Number(a.security));
  const rows = sorted
    .slice(0, candidateRows(sorted.length, limits.maxRows, limits.maxLength))
    .map((u) => [
      escapeMarkdown(u.name),
      escapeMarkdown(u.installed),
      escapeMarkdown(u.candidate),
      escapeMarkdown(u.suite),
      u.security ? "**yes**" : "no",
      escapeMarkdown(fixList(u), 400),
    ]);
  const table = budgetedTable(
    ["Package", "Installed", "Candidate", "Suite", "Security", "Fixes"],
    "llllll",
    rows,
    limits.maxRows,
    limits.maxLength - head.length - 3,
    sorted.length,
  );
  return `${head}\n\n${table}\n`;
}

function fixList(u: CheckedUpdate): string {
  return u.fixes.map((f) => `${f.id} (${f.severity})`).join(", ") || "-";
}
