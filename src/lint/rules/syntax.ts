// Rules for mistakes BuildKit itself rejects or warns about: the parser's
// problems (unknown keyword, broken exec form, empty continuation lines) and
// a file whose structure is wrong (no FROM, instructions before it).

import { KEYWORDS, type ParseProblem } from "../dockerfile.ts";
import { at, type Hit, type LintContext, type Rule } from "../rule.ts";

function problems(ctx: LintContext, kind: ParseProblem["kind"]): Hit[] {
  return ctx.dockerfile.problems
    .filter((p) => p.kind === kind)
    .map((p) => ({ line: p.line, endLine: p.endLine, message: p.message }));
}

export const unknownInstruction: Rule = {
  id: "CS-DF-UNKNOWN-INSTRUCTION",
  severity: "high",
  title: "Unknown instruction",
  refs: [],
  fix: "correct the keyword (FROM, RUN, COPY, …); a build stops at an instruction it does not know",
  check: (ctx) => problems(ctx, "unknown-instruction"),
};

export const jsonFormInvalid: Rule = {
  id: "CS-DF-JSON-FORM-INVALID",
  severity: "medium",
  title: "Exec form that is not valid JSON",
  refs: [],
  fix: 'write a JSON array of double-quoted strings (["python3", "-m", "app"]); single quotes and trailing commas make it shell form',
  check: (ctx) => problems(ctx, "json-form-invalid"),
};

export const emptyContinuation: Rule = {
  id: "CS-DF-EMPTY-CONTINUATION",
  severity: "info",
  title: "Empty line inside a continued instruction",
  refs: [],
  fix: "remove the empty line, or end the instruction before it",
  check: (ctx) => problems(ctx, "empty-continuation"),
};

export const noFrom: Rule = {
  id: "CS-DF-NO-FROM",
  severity: "high",
  title: "No FROM, or instructions before the first FROM",
  refs: [],
  fix: "start the build with FROM; only ARG may come before it",
  check(ctx) {
    if (ctx.model.stages.length === 0) {
      return [{ line: 1, endLine: 1, message: "the file has no FROM instruction, so it builds nothing" }];
    }
    // Unknown keywords are reported once, by CS-DF-UNKNOWN-INSTRUCTION.
    return ctx.model.beforeFrom
      .filter((ins) => KEYWORDS.has(ins.keyword))
      .map((ins) => at(ins, `${ins.written} comes before the first FROM; only ARG may`));
  },
};
