// Images side by side: one row per measure, one column per image, as an
// aligned text table that fits the terminal, a Markdown summary (for a pull
// request, a CI job summary or a report), or JSON. The CUDA libraries, a list
// per image that can run to dozens of packages, are a section of their own:
// one row per library, one column of versions per image.

import {
  budgetedTable,
  escapeMarkdown,
  joinSections,
  type MarkdownOptions,
  markdownHeader,
  markdownHeading,
  markdownLimits,
  markdownRow,
} from "../findings/index.ts";
import { type DatabaseInfo, formatDuration, SEVERITIES } from "../scan/index.ts";
import { formatBytes } from "../util/format-bytes.ts";
import type { ImageStats } from "./image-stats.ts";
import { wrapTable } from "./wrap-table.ts";

/** The width a table is wrapped to when no terminal says otherwise. */
const DEFAULT_TABLE_WIDTH = 100;

export interface CompareTableOptions {
  /** The most characters a line may have (a terminal's columns); 100 by default. */
  width?: number;
}

export interface CompareMarkdownOptions extends MarkdownOptions {
  /** The vulnerability data the CVEs were counted against, named under the heading. */
  database?: DatabaseInfo;
}

/** The rows of the comparison: a label and one cell per image. The CUDA libraries are counted here, listed by cudaRows. */
function compareRows(stats: readonly ImageStats[]): string[][] {
  const row = (label: string, cell: (s: ImageStats) => string) => [label, ...stats.map(cell)];
  const list = (items: readonly string[]) => (items.length === 0 ? "none" : items.join(", "));
  const rows = [
    row("compressed size", (s) => formatBytes(s.compressedSize)),
    row("uncompressed size", (s) => formatBytes(s.uncompressedSize)),
    row("layers", (s) => String(s.layers)),
    row("packages", (s) => String(s.packages)),
    row("Python packages", (s) => String(s.pythonPackages)),
    row("files", (s) => String(s.files)),
    row("setuid/setgid files", (s) => `${s.setuidFiles.length}`),
    row("shells", (s) => list(s.shells)),
    row("package managers", (s) => list(s.packageManagers)),
    row("user", (s) => s.user),
  ];
  if (stats.some((s) => s.cves !== undefined)) {
    rows.push(
      row("CVEs", (s) =>
        s.cves === undefined
          ? "unknown release"
          : SEVERITIES.filter((v) => s.cves?.[v])
              .map((v) => `${v} ${s.cves?.[v]}`)
              .join(", ") || "none",
      ),
    );
  }
  rows.push(
    row("CUDA libraries", (s) => (s.cudaLibraries.length === 0 ? "none" : String(s.cudaLibraries.length))),
  );
  return rows;
}

/** One row per CUDA library package in any image: its name, then its version in each image (`-`: absent). */
function cudaRows(stats: readonly ImageStats[]): string[][] {
  const names = [...new Set(stats.flatMap((s) => s.cudaLibraries.map((l) => l.name)))].sort();
  return names
    .map((name) => [
      name,
      ...stats.map((s) =>
        s.cudaLibraries
          .filter((l) => l.name === name)
          .map((l) => l.version)
          .join(", "),
      ),
    ])
    .map((row) => row.map((cell) => (cell === "" ? "-" : cell)));
}

/** Aligned text tables with the image references as column heads, wrapped to `width`. */
export function compareTable(stats: readonly ImageStats[], options: CompareTableOptions = {}): string {
  const width = options.width ?? DEFAULT_TABLE_WIDTH;
  const heads = stats.map((s) => s.image);
  const main = wrapTable([["", ...heads], ...compareRows(stats)], width);
  const cuda = cudaRows(stats);
  if (cuda.length === 0) return main;
  return `${main}\n\nCUDA libraries\n${wrapTable([["PACKAGE", ...heads], ...cuda], width)}`;
}

/** The comparison as Markdown, strictly under GitHub's 65,536-character limit however many libraries. */
export function compareMarkdown(stats: readonly ImageStats[], options: CompareMarkdownOptions = {}): string {
  const { maxLength, headingLevel, maxRows } = markdownLimits(options);
  const heads = stats.map((s) => escapeMarkdown(s.image));
  const sections = [markdownHeading(headingLevel, `cudaseal compare: ${heads.join(" vs ")}`)];
  const db = options.database;
  if (db !== undefined) {
    const age = db.ageSeconds === undefined ? "" : `, ${formatDuration(db.ageSeconds * 1000)} old`;
    sections.push(`CVEs counted against ${db.format} from ${escapeMarkdown(db.source)}${age}.`);
  }
  sections.push(
    [
      markdownHeader(["", ...heads], `l${"r".repeat(stats.length)}`),
      ...compareRows(stats).map((r) => markdownRow(r.map((c) => escapeMarkdown(c)))),
    ].join("\n"),
  );
  const cuda = cudaRows(stats).map((r) => r.map((c) => escapeMarkdown(c)));
  if (cuda.length > 0) {
    const heading = markdownHeading(headingLevel + 1, "CUDA libraries");
    const used = sections.join("\n\n").length + heading.length + 6;
    // Every library is listed where they fit: the list is the point of the section.
    const rowLimit = Math.max(maxRows, cuda.length);
    const table = budgetedTable(
      ["Package", ...heads],
      "l".repeat(stats.length + 1),
      cuda,
      rowLimit,
      maxLength - used,
    );
    if (table !== "") sections.push(heading, table);
  }
  return joinSections(sections, maxLength);
}

/** The comparison as a JSON document; `database` says what the CVEs were counted against. */
export function compareJson(stats: readonly ImageStats[], database?: DatabaseInfo): Record<string, unknown> {
  return database === undefined ? { images: stats } : { images: stats, database };
}
