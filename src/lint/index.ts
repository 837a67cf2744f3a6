// Dockerfile lint: the parser, the build model and the rules, and the
// report they make. Everything else in src/lint/ is internal.

export { type BuildModel, buildModel, type Stage, type Step } from "./build-model.ts";
export type { Directives, Dockerfile, Flag, Heredoc, Instruction, ParseProblem } from "./dockerfile.ts";
export { MAX_DOCKERFILE_BYTES, parseDockerfile } from "./dockerfile-parse.ts";
export {
  LINT_RULE_IDS,
  type LintEvidence,
  type LintOptions,
  type LintResult,
  lintDockerfile,
  readDockerfile,
} from "./lint.ts";
export { type LintReport, type LintReportOptions, lintReport, lintSarif } from "./lint-report.ts";
export type { Rule } from "./rule.ts";
export { RULES } from "./rules/index.ts";
