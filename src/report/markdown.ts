// The report as a Markdown summary for a pull-request comment or
// $GITHUB_STEP_SUMMARY: each image's numbers, the comparison (compare's own
// Markdown) and the hardening checklist, then the worst vulnerabilities and
// audit and lint findings. Escaping, table budgets and the length limit are
// the findings model's (findings/markdown.ts), shared with scan's, audit's
// and compare's summaries: under GitHub's 65,536 characters however many
// findings there are.

import { compareMarkdown } from "../compare/index.ts";
import {
  budgetedTable,
  candidateRows,
  DEFAULT_MARKDOWN_LENGTH,
  DEFAULT_MARKDOWN_ROWS,
  escapeMarkdown,
  joinSections,
  markdownHeader,
  markdownHeading,
  markdownRow,
} from "../findings/index.ts";
import { isKnownAdvisoryId } from "../scan/index.ts";
import { formatBytes } from "../util/format-bytes.ts";
import {
  FINDING_SEVERITIES,
  type FindingRow,
  type ImageReport,
  type ReportData,
  VULN_SEVERITIES,
  type VulnRow,
} from "./model.ts";

export { MARKDOWN_LIMIT } from "../findings/index.ts";

/** The summary, at most `maxLength` characters (65,000 by default, under GitHub's 65,536). */
export function reportMarkdown(data: ReportData, maxLength = DEFAULT_MARKDOWN_LENGTH): string {
  const fixed: string[] = data.images.map(summary);
  if (data.compare) fixed.push(compareSection(data, Math.floor(maxLength / 4)));
  // The tables share what the fixed parts leave, in order: each image's CVEs and audit, then lint.
  let budget = maxLength - fixed.reduce((n, s) => n + s.length + 2, 0) - 200;
  const tables: string[] = [];
  const push = (section: string) => {
    if (section === "") return;
    tables.push(section);
    budget -= section.length + 2;
  };
  for (const im of data.images) {
    const of = data.images.length > 1 ? ` of ${escapeMarkdown(im.ref)}` : "";
    push(vulnSection(im.vulnerabilities.findings, `Vulnerabilities${of}`, budget));
    push(findingSection(im.audit.findings, `Audit findings${of}`, budget));
  }
  if (data.lint)
    push(findingSection(data.lint.findings, `Lint findings of ${escapeMarkdown(data.lint.path)}`, budget));
  return joinSections(
    [...fixed, ...tables, `<sub>cudaseal report, ${escapeMarkdown(data.generated)}</sub>`],
    maxLength,
  );
}

function summary(im: ImageReport): string {
  const s = im.stats;
  const v = im.vulnerabilities;
  const cves = v.scanned
    ? VULN_SEVERITIES.filter((k) => v.counts[k].fixed + v.counts[k].open > 0)
        .map((k) => `${k} ${v.counts[k].fixed + v.counts[k].open} (${v.counts[k].fixed} fixed)`)
        .join(", ") || "none"
    : `not scanned: ${v.reason}`;
  const audit =
    FINDING_SEVERITIES.filter((k) => im.audit.counts[k] > 0)
      .map((k) => `${k} ${im.audit.counts[k]}`)
      .join(", ") || "none";
  const sig = im.signatures;
  const cuda = im.cuda.version
    ? `${im.cuda.version}${im.cuda.driver ? ` (driver ${im.cuda.driver} or newer)` : ""}`
    : "none declared";
  const rows: [string, string][] = [
    ["Size", `${formatBytes(s.compressedSize)} compressed, ${formatBytes(s.uncompressedSize)} uncompressed`],
    ["Layers", String(s.layers)],
    ["Packages", `${s.packages}${s.pythonPackages ? ` and ${s.pythonPackages} Python` : ""}`],
    ["Files", String(s.files)],
    ["CUDA", cuda],
    ["User", s.user],
    ["CVEs", cves],
    ["Audit findings", audit],
    [
      "Signatures",
      sig.checked
        ? `${sig.signatures} signatures, ${sig.attestations} attestations (found, not verified)`
        : `not checked: ${sig.reason}`,
    ],
  ];
  return [
    markdownHeading(2, `cudaseal report: ${escapeMarkdown(im.ref)}`),
    "",
    markdownHeader(["", ""], "ll"),
    ...rows.map(([k, val]) => markdownRow([k, escapeMarkdown(val)])),
  ].join("\n");
}

function compareSection(data: ReportData, maxLength: number): string {
  const c = data.compare;
  if (!c) return "";
  const mark = (ok: boolean) => (ok ? "✅" : "❌");
  const checklist = [
    markdownHeader(["Hardening", ...data.images.map((i) => escapeMarkdown(i.ref))], "lll"),
    ...c.checklist.map((i) =>
      markdownRow([i.check, ...i.pass.map((p, n) => `${mark(p)} ${escapeMarkdown(i.found[n])}`)]),
    ),
  ].join("\n");
  const packages = `Packages: ${c.packages.added.length} only in the first, ${c.packages.removed.length} only in the second, ${c.packages.changed.length} at another version.`;
  return [
    compareMarkdown(
      data.images.map((i) => i.stats),
      { headingLevel: 2, maxLength: maxLength - checklist.length - packages.length - 8 },
    ).trimEnd(),
    checklist,
    packages,
  ].join("\n\n");
}

function vulnSection(rows: readonly VulnRow[], title: string, budget: number): string {
  if (rows.length === 0) return "";
  const sorted = [...rows].sort(
    (x, y) =>
      VULN_SEVERITIES.indexOf(x.severity) - VULN_SEVERITIES.indexOf(y.severity) || (x.id < y.id ? -1 : 1),
  );
  const head = markdownHeading(3, title);
  const table = budgetedTable(
    ["Severity", "ID", "Package", "Installed", "Fixed in", "Status"],
    "llllll",
    // Only the rows that can fit are escaped; only ids of a known shape become links.
    sorted
      .slice(0, candidateRows(sorted.length, DEFAULT_MARKDOWN_ROWS, Math.max(0, budget)))
      .map((f) => [
        f.severity,
        isKnownAdvisoryId(f.id) ? `[${f.id}](${f.url})` : escapeMarkdown(f.id),
        escapeMarkdown(f.package),
        escapeMarkdown(f.installed),
        escapeMarkdown(f.fixedVersion ?? "-"),
        f.status,
      ]),
    DEFAULT_MARKDOWN_ROWS,
    budget - head.length - 2,
    sorted.length,
  );
  return table === "" ? "" : `${head}\n\n${table}`;
}

function findingSection(rows: readonly FindingRow[], title: string, budget: number): string {
  if (rows.length === 0) return "";
  const head = markdownHeading(3, title);
  const table = budgetedTable(
    ["Severity", "Rule", "Where", "Fix"],
    "llll",
    rows
      .slice(0, candidateRows(rows.length, DEFAULT_MARKDOWN_ROWS, Math.max(0, budget)))
      .map((f) => [f.severity, escapeMarkdown(f.id), escapeMarkdown(f.where ?? ""), escapeMarkdown(f.fix)]),
    DEFAULT_MARKDOWN_ROWS,
    budget - head.length - 2,
    rows.length,
  );
  return table === "" ? "" : `${head}\n\n${table}`;
}
