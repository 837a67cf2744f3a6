// The CI gate: `--fail-on SEVERITY` fails the run when any finding is that
// severe or worse. `info` is a valid gate (fail on anything at all).

import { CudasealError } from "../errors.ts";
import { type Finding, isSeverity, SEVERITIES, type Severity, severityRank } from "./finding.ts";

/** The findings that fail a gate of `failOn` or worse. */
export function gateFailures(findings: readonly Finding[], failOn: Severity): Finding[] {
  const threshold = severityRank(failOn);
  return findings.filter((f) => severityRank(f.severity) >= threshold);
}

/** The severity a `--fail-on` value names; USAGE for any other word. */
export function parseFailOn(value: string): Severity {
  const word = value.trim().toLowerCase();
  if (!isSeverity(word)) {
    throw new CudasealError("USAGE", `unknown severity for --fail-on: ${value}`, {
      hint: `use one of ${SEVERITIES.join(", ")}`,
    });
  }
  return word;
}
