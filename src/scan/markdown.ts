// A scan as a short Markdown summary for a pull-request comment or a CI job
// summary: what was scanned against which data, the findings counted by
// severity and fix status, what was suppressed, then the worst findings as a
// table, fixable ones first within a severity. The escaping and the length
// budget are the findings model's (src/findings/markdown.ts).

import {
  appendWorstFirst,
  escapeMarkdown,
  joinSections,
  type MarkdownOptions,
  markdownHeader,
  markdownHeading,
  markdownLimits,
  markdownRow,
} from "../findings/index.ts";
import { type Finding, SEVERITIES, severityRank } from "./advisory.ts";
import { formatDuration } from "./duration.ts";
import type { ScanResult } from "./report.ts";

const STATUSES = ["fixed", "open", "wont-fix"] as const;
const STATUS_ORDER: Record<Finding["status"], number> = { fixed: 0, open: 1, "wont-fix": 2 };

/** The scan as Markdown, strictly under GitHub's 65,536-character limit however many findings it has. */
export function scanMarkdown(result: ScanResult, options: MarkdownOptions = {}): string {
  const limits = markdownLimits(options);
  const { maxLength, headingLevel } = limits;
  const sections = [
    markdownHeading(headingLevel, `cudaseal scan: ${escapeMarkdown(result.image)}`),
    factsLine(result),
    countsTable(result),
  ];
  appendWorstFirst(
    sections,
    [...result.findings].sort(worstFirst),
    {
      headers: ["Severity", "ID", "Package", "Installed", "Fixed in", "Status", "Description"],
      align: "lllllll",
      row: (f) => [
        f.severity,
        advisoryLink(f.id),
        escapeMarkdown(f.package),
        escapeMarkdown(f.installed),
        f.fixedVersion === undefined ? "-" : escapeMarkdown(f.fixedVersion),
        f.status,
        escapeMarkdown(f.description, 100),
      ],
    },
    limits,
  );
  return joinSections(sections, maxLength);
}

function factsLine(result: ScanResult): string {
  const python = result.pythonPackages ? ` and ${result.pythonPackages} Python distributions` : "";
  const parts = [`Debian ${escapeMarkdown(result.release)}, ${result.packages} packages${python}`];
  const db = result.database;
  if (db !== undefined) {
    const age = db.ageSeconds === undefined ? "" : `, ${formatDuration(db.ageSeconds * 1000)} old`;
    parts.push(`data: ${db.format} from ${escapeMarkdown(db.source)}${age}`);
  }
  if (result.digest !== undefined) parts.push(`image ${escapeMarkdown(result.digest)}`);
  return parts.join("; ");
}

/** Severity by status: how many findings of each, and how many of them a fixed version exists for. */
function countsTable(result: ScanResult): string {
  const suppressed = result.suppressed ?? [];
  const tail =
    suppressed.length === 0
      ? []
      : [
          "",
          `Not counted: ${suppressed.length} suppressed (${suppressed.filter((f) => f.suppressedBy.kind === "vex").length} by VEX, ` +
            `${suppressed.filter((f) => f.suppressedBy.kind === "ignore").length} by the ignore file; see the JSON output).`,
        ];
  if (result.findings.length === 0) return ["No findings.", ...tail].join("\n");
  const count = (severity: string | undefined, status: string | undefined) =>
    result.findings.filter(
      (f) =>
        (severity === undefined || f.severity === severity) && (status === undefined || f.status === status),
    ).length;
  const row = (label: string, severity: string | undefined, bold = false) => {
    const cells = [...STATUSES, undefined].map((st) => String(count(severity, st)));
    return markdownRow([label, ...cells].map((c) => (bold ? `**${c}**` : c)));
  };
  return [
    markdownHeader(["Severity", "Fixed", "Open", "Won't fix", "Total"], "lrrrr"),
    ...SEVERITIES.map((s) => row(s, s)),
    row("total", undefined, true),
    ...tail,
  ].join("\n");
}

/** Worst first; within a severity, those a fix exists for first (the ones to act on), then by id and package. */
function worstFirst(a: Finding, b: Finding): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
    cmp(a.id, b.id) ||
    cmp(a.package, b.package) ||
    cmp(a.installed, b.installed)
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// Only ids of a known shape become links, so a feed cannot make one point elsewhere.
const DEBIAN_ID = /^(CVE-\d{4}-\d{4,}|TEMP-\d{7}-[0-9A-F]{6}|DSA-\d+-\d+|DLA-\d+-\d+)$/;
const OSV_ID = /^(GHSA(-[23456789cfghjmpqrvwx]{4}){3}|PYSEC-\d{4}-\d+)$/;

/** True for an advisory id of a shape the tracker or OSV gives, the only ones a summary makes a link of. */
export function isKnownAdvisoryId(id: string): boolean {
  return DEBIAN_ID.test(id) || OSV_ID.test(id);
}

/** The id, linked to its page on the Debian tracker or OSV when it has a known shape. */
function advisoryLink(id: string): string {
  if (DEBIAN_ID.test(id)) return `[${id}](https://security-tracker.debian.org/tracker/${id})`;
  if (OSV_ID.test(id)) return `[${id}](https://osv.dev/vulnerability/${id})`;
  return escapeMarkdown(id);
}
