// Findings as an aligned text table for people: one line per finding, worst
// first, the message last so long ones do not push the columns apart.

import { type Finding, locationText, sortFindings } from "./finding.ts";

const HEADERS = ["SEVERITY", "RULE", "WHERE", "MESSAGE"];

/** The table, with a header line; "" for no findings. */
export function findingsTable(findings: readonly Finding[]): string {
  if (findings.length === 0) return "";
  const rows = sortFindings(findings).map((f) => [
    f.severity,
    f.id,
    oneLine(locationText(f.evidence)),
    oneLine(f.message),
  ]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(HEADERS), ...rows.map(line)].join("\n");
}

// Paths come from the image, so from whoever made it: a newline would break the
// table's lines and an escape sequence would rewrite the reader's terminal.
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
