// The findings model that `cudaseal audit` (images) and `cudaseal lint`
// (Dockerfiles, specs) both produce, so one renderer, one gate and one policy
// file serve both: a finding is one rule broken at one place.

/** How bad a finding is, worst first. */
export const SEVERITIES = ["critical", "high", "medium", "low", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Where a finding was seen. Image findings name a path and layer, or a config field; file findings a line. */
export interface Evidence {
  /** Absolute path in the image (`/etc/shadow`), or the file linted (`Dockerfile`). */
  path?: string;
  /** Index of the image layer (0 is the bottom one) the evidence is in. */
  layer?: number;
  /** 1-based line in the file at `path`. */
  line?: number;
  /** 1-based column on `line`. */
  column?: number;
  /** The image config field (`config.User`, `config.Env[NAME]`, `history[3].created_by`). */
  field?: string;
  /** For image paths: false when a later layer deleted or replaced it (still in the image's bytes). */
  inFinalFs?: boolean;
  /** A short excerpt; secrets are redacted before they get here (redact.ts). */
  snippet?: string;
}

/** One broken rule at one place. */
export interface Finding {
  /** The rule id, `CS-` and upper-case words: `CS-USER-ROOT`. */
  id: string;
  severity: Severity;
  /** The rule's title, the same for every finding of the rule. */
  title: string;
  /** The guidance the rule comes from: `CIS Docker 4.1`, `NIST SP 800-190 4.4.3`. */
  refs: string[];
  evidence: Evidence;
  /** What was found, here: names the path, layer, field. Never holds a secret unredacted. */
  message: string;
  /** What to do about it. */
  fix: string;
}

/** Higher is worse: critical 4 … info 0. */
export function severityRank(s: Severity): number {
  return SEVERITIES.length - 1 - SEVERITIES.indexOf(s);
}

/** True when `word` is one of SEVERITIES. */
export function isSeverity(word: unknown): word is Severity {
  return typeof word === "string" && (SEVERITIES as readonly string[]).includes(word);
}

/** Findings worst first, then by rule id, path, layer and line: equal inputs give equal output. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(compareFindings);
}

export function compareFindings(a: Finding, b: Finding): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    cmp(a.id, b.id) ||
    cmp(a.evidence.path ?? "", b.evidence.path ?? "") ||
    (a.evidence.layer ?? -1) - (b.evidence.layer ?? -1) ||
    (a.evidence.line ?? 0) - (b.evidence.line ?? 0) ||
    cmp(a.evidence.field ?? "", b.evidence.field ?? "") ||
    cmp(a.message, b.message)
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Findings counted by severity, every severity present. */
export function severityCounts(findings: readonly Finding[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) counts[f.severity]++;
  return counts;
}

/** Where a finding is, in words: `/etc/x (layer 1, deleted later)`, `Dockerfile:12`, `config.User`. */
export function locationText(e: Evidence): string {
  const parts: string[] = [];
  if (e.path !== undefined) parts.push(e.line === undefined ? e.path : `${e.path}:${e.line}`);
  if (e.field !== undefined) parts.push(e.field);
  let text = parts.join(" ") || "-";
  if (e.layer !== undefined) {
    text += e.inFinalFs === false ? ` (layer ${e.layer}, deleted later)` : ` (layer ${e.layer})`;
  }
  return text;
}
