// Images side by side: one row per measure, one column per image, as an
// aligned text table, a Markdown table (for a pull request or a report), or
// JSON.

import { SEVERITIES } from "../scan/advisory.ts";
import type { DatabaseInfo } from "../scan/tracker-database.ts";
import { formatBytes } from "../util/format-bytes.ts";
import type { ImageStats } from "./image-stats.ts";

/** The rows of the comparison: a label and one cell per image. */
export function compareRows(stats: readonly ImageStats[]): string[][] {
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
  rows.push(row("CUDA libraries", (s) => list(s.cudaLibraries.map((l) => `${l.name} ${l.version}`))));
  return rows;
}

/** An aligned text table with the image references as column heads. */
export function compareTable(stats: readonly ImageStats[]): string {
  const lines = [["", ...stats.map((s) => s.image)], ...compareRows(stats)];
  const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  return lines
    .map((l) =>
      l
        .map((c, i) => c.padEnd(widths[i]))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** A GitHub-flavoured Markdown table. */
export function compareMarkdown(stats: readonly ImageStats[]): string {
  const cell = (s: string) => s.replaceAll("\\", "\\\\").replaceAll("|", "\\|");
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(" | ")} |`;
  return [
    line(["", ...stats.map((s) => `\`${s.image}\``)]),
    `|---|${stats.map(() => "---:|").join("")}`,
    ...compareRows(stats).map(line),
  ].join("\n");
}

/** The comparison as a JSON document; `database` says what the CVEs were counted against. */
export function compareJson(stats: readonly ImageStats[], database?: DatabaseInfo): Record<string, unknown> {
  return database === undefined ? { images: stats } : { images: stats, database };
}
