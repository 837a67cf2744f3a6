// The policy file audit and lint share: which rules are off, which have
// another severity, and which paths a rule allows. Every entry is an
// exception someone answers for, so each names an `owner` and an `expires`
// date (YYYY-MM-DD, the last day it holds). An expired entry stops applying,
// so its findings come back, and is itself a finding (CS-POLICY-EXPIRED) at
// its line in the policy file, so the gate sees it and the owner gets asked.
//
//   rules:
//     CS-HEALTHCHECK-MISSING: { off: true, owner: ml-platform, expires: 2026-12-31, reason: batch job }
//     CS-FILE-SHELL:          { severity: low, owner: ml-platform, expires: 2026-06-30 }
//   allow:
//     - rule: CS-FILE-SETUID
//       paths: [/usr/bin/newuidmap, /usr/lib/**]
//       owner: sec-team
//       expires: 2026-03-31
//       reason: rootless builds need it

import { isMap, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { CudasealError } from "../errors.ts";
import { compileGlobs, type PathMatcher } from "../layer/glob.ts";
import { readRegularFileSync } from "../util/read-regular-file.ts";
import { type Finding, isSeverity, SEVERITIES, type Severity } from "./finding.ts";
import type { SuppressedFinding } from "./report.ts";

/** Who answers for an exception and until when. */
export interface Exception {
  owner: string;
  /** YYYY-MM-DD, the last day the exception holds. */
  expires: string;
  reason?: string;
  /** 1-based line of the entry in the policy file. */
  line: number;
}

/** `rules.ID`: turn a rule off or give it another severity. */
export interface RuleException extends Exception {
  rule: string;
  off: boolean;
  severity?: Severity;
}

/** `allow[]`: a rule does not apply to these paths (globs: `*` one segment, `**` any). */
export interface PathException extends Exception {
  rule: string;
  paths: string[];
  matches: PathMatcher;
}

export interface Policy {
  /** The file it was read from, for locating CS-POLICY-EXPIRED. */
  source: string;
  rules: RuleException[];
  allow: PathException[];
}

export const POLICY_EXPIRED_ID = "CS-POLICY-EXPIRED";
const MAX_POLICY_BYTES = 1024 * 1024;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const RULE_ID = /^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$/;

/** Read and check a policy file; POLICY_INVALID names the line of any mistake. */
export function loadPolicy(file: string): Policy {
  let data: Buffer;
  try {
    data = readRegularFileSync(file, { what: "policy", max: MAX_POLICY_BYTES });
  } catch (err) {
    if (err instanceof CudasealError) throw err;
    throw new CudasealError("POLICY_INVALID", `cannot read policy file ${file}`, {
      hint: "check the path given to --policy",
      cause: err,
    });
  }
  return parsePolicy(data.toString("utf8"), file);
}

/** Parse a policy document; `source` names it in errors and findings. */
export function parsePolicy(text: string, source: string): Policy {
  if (text.length > MAX_POLICY_BYTES) {
    throw new CudasealError("POLICY_INVALID", `${source} is larger than 1 MiB`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const lineOf = (node: unknown): number => {
    const range = (node as Node | undefined)?.range;
    return range ? lines.linePos(range[0]).line : 1;
  };
  const fail = (node: unknown, message: string, hint?: string): never => {
    const line = lineOf(node);
    throw new CudasealError("POLICY_INVALID", `${source}:${line}: ${message}`, {
      hint: hint ?? "see docs/audit.md, 'The policy file'",
      details: { file: source, line },
    });
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = e.linePos?.[0].line ?? 1;
    throw new CudasealError("POLICY_INVALID", `${source}:${line}: ${e.message.split("\n")[0]}`, {
      details: { file: source, line },
      cause: e,
    });
  }
  const policy: Policy = { source, rules: [], allow: [] };
  const root = doc.contents;
  if (root === null) return policy;
  if (!isMap(root)) return fail(root, "a policy is a mapping with 'rules' and 'allow'");
  for (const pair of root.items) {
    const key = String((pair.key as { value?: unknown })?.value ?? pair.key);
    if (key === "rules") {
      if (pair.value === null) continue;
      if (!isMap(pair.value)) return fail(pair.value, "'rules' maps rule ids to exceptions");
      for (const rulePair of pair.value.items) {
        const id = String((rulePair.key as { value?: unknown })?.value ?? rulePair.key);
        if (!RULE_ID.test(id))
          fail(rulePair.key, `'${id}' is not a rule id`, "rule ids look like CS-USER-ROOT");
        const node = rulePair.value;
        if (!isMap(node)) return fail(rulePair.key, `rules.${id} must be a mapping`);
        const value = node.toJSON() as Record<string, unknown>;
        const base = exceptionOf(
          value,
          `rules.${id}`,
          ["off", "severity"],
          (m) => fail(node, m),
          lineOf(node),
        );
        const off = value.off;
        if (off !== undefined && typeof off !== "boolean")
          fail(node, `rules.${id}.off must be true or false`);
        const severity = value.severity;
        if (severity !== undefined && !isSeverity(severity)) {
          fail(node, `rules.${id}.severity must be one of ${SEVERITIES.join(", ")}`);
        }
        if (off !== true && severity === undefined) fail(node, `rules.${id} needs 'off: true' or 'severity'`);
        if (off === true && severity !== undefined) fail(node, `rules.${id} cannot be both off and re-rated`);
        if (policy.rules.some((r) => r.rule === id)) fail(node, `rules.${id} is given twice`);
        policy.rules.push({
          ...base,
          rule: id,
          off: off === true,
          ...(isSeverity(severity) ? { severity } : {}),
        });
      }
    } else if (key === "allow") {
      if (pair.value === null) continue;
      if (!isSeq(pair.value)) return fail(pair.value, "'allow' is a list of { rule, paths, owner, expires }");
      for (const [i, node] of pair.value.items.entries()) {
        if (!isMap(node)) return fail(node, `allow[${i}] must be a mapping`);
        const value = node.toJSON() as Record<string, unknown>;
        const where = `allow[${i}]`;
        const base = exceptionOf(value, where, ["rule", "paths"], (m) => fail(node, m), lineOf(node));
        const rule = value.rule;
        if (typeof rule !== "string" || !RULE_ID.test(rule)) fail(node, `${where}.rule must be a rule id`);
        const paths = value.paths;
        if (
          !Array.isArray(paths) ||
          paths.length === 0 ||
          !paths.every((p) => typeof p === "string" && p !== "")
        ) {
          fail(node, `${where}.paths must be a non-empty list of paths or globs`);
        }
        const list = paths as string[];
        policy.allow.push({ ...base, rule: rule as string, paths: list, matches: compileGlobs(list) });
      }
    } else {
      fail(pair.key, `unknown key '${key}'`, "a policy has 'rules' and 'allow'");
    }
  }
  return policy;
}

function exceptionOf(
  value: Record<string, unknown>,
  where: string,
  own: readonly string[],
  fail: (message: string) => never,
  line: number,
): Exception {
  for (const key of Object.keys(value)) {
    if (![...own, "owner", "expires", "reason"].includes(key)) fail(`${where}: unknown key '${key}'`);
  }
  const owner = value.owner;
  if (typeof owner !== "string" || owner.trim() === "") {
    fail(`${where} needs an owner: who answers for this exception`);
  }
  const expires = value.expires instanceof Date ? value.expires.toISOString().slice(0, 10) : value.expires;
  if (typeof expires !== "string" || !validDate(expires)) {
    fail(`${where} needs expires: YYYY-MM-DD, the last day it holds`);
  }
  const reason = value.reason;
  if (reason !== undefined && typeof reason !== "string") fail(`${where}.reason must be text`);
  return {
    owner: (owner as string).trim(),
    expires: expires as string,
    line,
    ...(typeof reason === "string" ? { reason } : {}),
  };
}

function validDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === text;
}

export interface ApplyPolicyOptions {
  /** The day to judge expiry by (UTC); now by default. */
  today?: Date;
  /** The rule ids the caller can produce; policy entries naming others are returned in unknownRules. */
  knownRules?: Iterable<string>;
}

export interface PolicyOutcome {
  /** What is left, re-rated, plus one CS-POLICY-EXPIRED per expired entry. */
  findings: Finding[];
  suppressed: SuppressedFinding[];
  /** Rule ids the policy names that the caller does not know (likely typos). */
  unknownRules: string[];
}

/** Apply `policy` to `findings`. Pure: the same inputs and day give the same outcome. */
export function applyPolicy(
  findings: readonly Finding[],
  policy: Policy,
  options: ApplyPolicyOptions = {},
): PolicyOutcome {
  const today = (options.today ?? new Date()).toISOString().slice(0, 10);
  const live = (e: Exception) => e.expires >= today;
  const out: Finding[] = [];
  const suppressed: SuppressedFinding[] = [];
  const rules = new Map(policy.rules.filter(live).map((r) => [r.rule, r]));
  const allow = policy.allow.filter(live);
  for (const f of findings) {
    const rule = rules.get(f.id);
    const waiver =
      rule?.off === true
        ? rule
        : allow.find(
            (a) =>
              a.rule === f.id &&
              f.evidence.path !== undefined &&
              a.matches(f.evidence.path.replace(/^\/+/, "")),
          );
    if (waiver !== undefined) {
      suppressed.push({
        finding: f,
        owner: waiver.owner,
        expires: waiver.expires,
        ...(waiver.reason === undefined ? {} : { reason: waiver.reason }),
      });
    } else if (rule?.severity !== undefined && rule.severity !== f.severity) {
      out.push({
        ...f,
        severity: rule.severity,
        message: `${f.message} [severity ${f.severity} → ${rule.severity} by policy]`,
      });
    } else {
      out.push(f);
    }
  }
  for (const e of [...policy.rules, ...policy.allow]) {
    if (live(e)) continue;
    const what = "paths" in e ? `allowing ${e.rule} for ${e.paths.join(", ")}` : `for ${e.rule}`;
    out.push({
      id: POLICY_EXPIRED_ID,
      severity: "medium",
      title: "A policy exception has expired",
      refs: ["NIST SP 800-190 4.1.2"],
      evidence: { path: policy.source, line: e.line },
      message: `the exception ${what} (owner ${e.owner}) expired on ${e.expires}; it no longer applies`,
      fix: `fix what it waived, or have ${e.owner} renew it with a new 'expires' date`,
    });
  }
  const known = options.knownRules === undefined ? undefined : new Set(options.knownRules);
  const named = [...new Set([...policy.rules, ...policy.allow].map((e) => e.rule))].sort();
  const unknownRules = known === undefined ? [] : named.filter((id) => !known.has(id));
  return { findings: out, suppressed, unknownRules };
}
