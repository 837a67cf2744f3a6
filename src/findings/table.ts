// Findings as an aligned text table for people: one line per finding, worst
// first, the message last so long ones do not push the columns apart.

import { textTable } from "../util/text-table.ts";
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
  return textTable(HEADERS, rows);
}

// Paths come from the image, so from whoever made it: a newline would break the
// table's lines and an escape sequence would rewrite the reader's terminal.
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
