// Findings as an aligned text table for people: one line per finding, worst
// first, the message last so long ones do not push the columns apart.

import { textTable } from "../util/text-table.ts";
import { type Finding, locationText, sortFindings } from "./finding.ts";

const HEADERS = ["SEVERITY", "RULE", "WHERE", "MESSAGE"];

/** The table, with a header line; "" for no findings. */
export function findingsTable(findings: readonly Finding[]): string {
  if (findings.length === 0) return "";
  const rows = sortFindings(findings).map((f) => [f.severity, f.id, locationText(f.evidence), f.message]);
  return textTable(HEADERS, rows);
}
