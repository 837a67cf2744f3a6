// Findings as SARIF 2.1.0, in the shape GitHub code scanning reads (the log's
// skeleton is src/util/sarif.ts, shared with the vulnerability scan): one run,
// one rule per rule id with a numeric `security-severity` and help text, one
// result per finding.
//
// Locations differ by what was checked. A file (Dockerfile) finding has a
// physical location with its line. An image has no lines: a finding on a
// path is located at that path (relative, like `usr/bin/sudo`) with a logical
// location naming the layer; a config finding is located at the image
// reference with a logical location naming the field (`config.User`).
// Rules are sorted by id and results keep sortFindings' order, so equal
// reports give byte-identical documents.

import { sarifLevel, sarifLog, sarifRules, worstSeverity } from "../util/sarif.ts";
import { type Finding, type Severity, severityRank, sortFindings } from "./finding.ts";
import type { FindingsReport } from "./report.ts";

/** The `security-severity` GitHub buckets into critical/high/medium/low (under 0.1: none). */
export const SECURITY_SEVERITY: Readonly<Record<Severity, string>> = {
  critical: "9.5",
  high: "8.0",
  medium: "5.5",
  low: "2.0",
  info: "0.0",
};

export interface SarifOptions {
  /** cudaseal's version, for tool.driver. */
  version?: string;
}

/** The report as one SARIF 2.1.0 log. */
export function findingsSarif(report: FindingsReport, options: SarifOptions = {}): Record<string, unknown> {
  const findings = sortFindings(report.findings);
  const { rules, ruleIndex } = sarifRules(findings, ruleOf);
  const results = findings.map((f) => ({
    ruleId: f.id,
    ruleIndex: ruleIndex.get(f.id),
    level: sarifLevel(f.severity),
    message: { text: f.message },
    locations: [locationOf(f, report)],
    partialFingerprints: { "cudaseal/finding": fingerprint(f) },
    properties: {
      severity: f.severity,
      ...(f.evidence.layer === undefined ? {} : { layer: f.evidence.layer }),
      ...(f.evidence.inFinalFs === undefined ? {} : { inFinalFs: f.evidence.inFinalFs }),
    },
  }));
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    ...sarifLog({
      version: options.version,
      rules,
      results,
      properties: { tool: report.tool, target: report.target, kind: report.kind, ...report.properties },
    }),
  };
}

function ruleOf(id: string, findings: readonly Finding[]): Record<string, unknown> {
  // A policy can rate one rule differently per finding: the rule takes the worst.
  const worst = worstSeverity(findings, severityRank, "info");
  const first = findings[0];
  const refs = first?.refs ?? [];
  const title = first?.title ?? id;
  const fix = first?.fix ?? "";
  const refText = refs.length > 0 ? `\n\nReferences: ${refs.join("; ")}` : "";
  return {
    id,
    name: ruleName(id),
    shortDescription: { text: title },
    fullDescription: { text: `${title}${refs.length > 0 ? ` (${refs.join("; ")})` : ""}` },
    defaultConfiguration: { level: sarifLevel(worst) },
    help: {
      text: `${title}\n\nFix: ${fix}${refText}`,
      markdown: `**${title}**\n\nFix: ${fix}${refs.length > 0 ? `\n\nReferences: ${refs.map((r) => `\`${r}\``).join(", ")}` : ""}`,
    },
    properties: {
      "security-severity": SECURITY_SEVERITY[worst],
      tags: ["security", ...tagsOf(refs)],
    },
  };
}

/** `CS-USER-ROOT` → `UserRoot`: SARIF's rule name is an identifier-like word. */
function ruleName(id: string): string {
  return id
    .replace(/^CS-/, "")
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1).toLowerCase())
    .join("");
}

function tagsOf(refs: readonly string[]): string[] {
  const tags = new Set<string>();
  for (const r of refs) {
    if (r.startsWith("CIS")) tags.add("cis-docker-benchmark");
    else if (r.startsWith("NIST")) tags.add("nist-sp-800-190");
  }
  return [...tags].sort();
}

function locationOf(f: Finding, report: FindingsReport): Record<string, unknown> {
  const e = f.evidence;
  if (report.kind === "file" || e.line !== undefined) {
    const region: Record<string, number> = { startLine: e.line ?? 1 };
    if (e.column !== undefined) region.startColumn = e.column;
    return { physicalLocation: { artifactLocation: { uri: toUri(e.path ?? report.target) }, region } };
  }
  if (e.path !== undefined) {
    const name = e.layer === undefined ? e.path : `layer ${e.layer}:${e.path}`;
    return {
      physicalLocation: {
        artifactLocation: { uri: toUri(e.path.replace(/^\/+/, "")) },
        region: { startLine: 1 },
      },
      logicalLocations: [{ name: e.path, fullyQualifiedName: name, kind: "resource" }],
    };
  }
  const field = e.field ?? "config";
  return {
    physicalLocation: { artifactLocation: { uri: toUri(report.target) }, region: { startLine: 1 } },
    logicalLocations: [{ name: field, fullyQualifiedName: field, kind: "property" }],
  };
}

// A path in an image may hold spaces, `%` or `#`: SARIF's uri must be a URI reference.
function toUri(path: string): string {
  return path
    .split("/")
    .map((seg) => encodeURIComponent(seg).replace(/%3A/gi, ":"))
    .join("/");
}

function fingerprint(f: Finding): string {
  const e = f.evidence;
  return [f.id, e.path ?? "", e.field ?? "", e.layer ?? "", e.line ?? ""].join("/");
}
