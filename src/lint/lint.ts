// `cudaseal lint` as a library: parse a Dockerfile, evaluate its build, run
// every rule, and return the shared Finding shape (src/findings) so lint and
// audit render, gate and take policy exceptions the same way.

import { CudasealError } from "../errors.ts";
import { type Evidence, type Finding, redact } from "../findings/index.ts";
import { readRegularFile } from "../util/read-regular-file.ts";
import { buildModel } from "./build-model.ts";
import type { Dockerfile } from "./dockerfile.ts";
import { MAX_DOCKERFILE_BYTES, parseDockerfile } from "./dockerfile-parse.ts";
import { lintContext, type Rule } from "./rule.ts";
import { RULES } from "./rules/index.ts";
import { findTokens } from "./secret-patterns.ts";
import { withMatchBudget } from "./substitute.ts";

export interface LintOptions {
  /** The name findings give the file (`Dockerfile`, `services/api/Dockerfile`). */
  path?: string;
  /** `--build-arg NAME=VALUE`: values for ARGs, as a build would get them. */
  buildArgs?: Readonly<Record<string, string>>;
  /** The stage that ships (`--target`); the last stage by default. */
  target?: string;
}

/** A finding's evidence with the last line of the instruction too (SARIF's region.endLine). */
export type LintEvidence = Evidence & { path: string; line: number; endLine: number };

export interface LintResult {
  path: string;
  dockerfile: Dockerfile;
  /** In rule order, then by line. */
  findings: Finding[];
  /** `buildArgs` no ARG in the file declares: a build ignores them (docker warns so). */
  unusedBuildArgs: string[];
}

/** Every rule id lint can report, for the policy file's typo check. */
export const LINT_RULE_IDS: readonly string[] = RULES.map((r) => r.id);

/** Lint Dockerfile text. Throws LINT_PARSE_ERROR when BuildKit could not parse it either. */
export function lintDockerfile(text: string, options: LintOptions = {}): LintResult {
  return withMatchBudget(() => lintOne(text, options));
}

function lintOne(text: string, options: LintOptions): LintResult {
  const path = options.path ?? "Dockerfile";
  const dockerfile = parseDockerfile(text, path);
  const model = buildModel(dockerfile, options);
  if (options.target !== undefined && model.final === undefined) {
    throw new CudasealError("USAGE", `${path} has no stage named '${options.target}'`, {
      hint: `stages: ${model.stages.flatMap((s) => (s.name ? [s.name] : [])).join(", ") || "(none named)"}`,
    });
  }
  const ctx = lintContext(dockerfile, model);
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const findings: Finding[] = [];
  for (const rule of RULES) {
    const hits = rule.check(ctx).sort((a, b) => a.line - b.line);
    for (const hit of hits) {
      const evidence: LintEvidence = {
        path,
        line: hit.line,
        endLine: hit.endLine,
        snippet: snippet(lines[hit.line - 1] ?? ""),
      };
      findings.push(toFinding(rule, hit.severity ?? rule.severity, evidence, hit.message, hit.fix));
    }
  }
  return { path, dockerfile, findings, unusedBuildArgs: model.unusedBuildArgs };
}

function toFinding(
  rule: Rule,
  severity: Finding["severity"],
  evidence: LintEvidence,
  message: string,
  fix: string | undefined,
): Finding {
  return {
    id: rule.id,
    severity,
    title: rule.title,
    refs: rule.refs,
    evidence,
    message,
    fix: fix ?? rule.fix,
  };
}

// The line as written, shortened, with any token in it redacted: findings never carry a secret.
function snippet(line: string): string {
  let text = line.trim();
  for (const token of findTokens(text)) text = text.split(token.text).join(redact(token.text));
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

/** Read a Dockerfile from disk; LINT_INPUT_INVALID when it cannot be read or is too large. */
export async function readDockerfile(file: string): Promise<string> {
  let data: Buffer;
  try {
    data = await readRegularFile(file, { what: "Dockerfile", max: MAX_DOCKERFILE_BYTES });
  } catch (err) {
    if (err instanceof CudasealError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new CudasealError("LINT_INPUT_INVALID", `cannot read ${file}${code ? ` (${code})` : ""}`, {
      hint: code === "ENOENT" ? "check the path; pass - to read the Dockerfile from stdin" : undefined,
      cause: err,
      details: { file },
    });
  }
  return data.toString("utf8");
}
