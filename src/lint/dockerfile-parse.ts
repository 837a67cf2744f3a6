// The Dockerfile parser. It follows BuildKit's parser (moby/buildkit
// frontend/dockerfile/parser), a line-oriented state machine:
//
//   1. Parser directives: `# name=value` lines at the very top (syntax,
//      esc, check). The first line that is not one (an empty line, any
//      other comment, an instruction) ends them.
//   2. Logical lines: a line ending in the escape character (optionally
//      followed by blanks) continues on the next. Inside a continuation,
//      comment lines are dropped and empty lines skipped (BuildKit warns about
//      the latter; so do we). The first line is trimmed on the left, the
//      continuation lines are not, and the pieces are joined with nothing
//      between them.
//   3. Heredocs: a RUN, COPY or ADD in shell form whose words include
//      `<<NAME`, `<<-NAME`, `<<"NAME"` or `<<'NAME'` takes the following
//      physical lines as bodies, in order, each up to a line that is exactly
//      NAME (after stripping leading tabs for `<<-`).
//
// What fails: a file BuildKit could not even split into instructions throws
// LINT_PARSE_ERROR with the line (an unterminated heredoc swallows the rest of
// the file; a bad or repeated directive changes how every line is read).
// Mistakes local to one instruction (an unknown keyword, a JSON array that is
// not valid JSON, an empty continuation line) become ParseProblems that lint
// reports as findings, so one typo does not hide every other finding.

import { CudasealError } from "../errors.ts";
import {
  type Directives,
  type Dockerfile,
  type Heredoc,
  type Instruction,
  KEYWORDS,
  type ParseProblem,
} from "./dockerfile.ts";
import { extractFlags, splitWords, unquote } from "./words.ts";

/** The largest Dockerfile read; real ones are a few KiB. */
export const MAX_DOCKERFILE_BYTES = 1024 * 1024;
/** The most instructions read; real files have tens, and some rules compare instructions pairwise. */
export const MAX_INSTRUCTIONS = 10_000;

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const KNOWN_DIRECTIVES = new Set(["syntax", "escape", "check"]);
/** Instructions whose shell form may carry heredocs. */
const HEREDOC_KEYWORDS = new Set(["RUN", "COPY", "ADD"]);
/** Instructions whose arguments may be a JSON array (exec form). */
const JSON_KEYWORDS = new Set(["RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME"]);
/** BuildKit's heredoc word: optional fd, `<<`, optional `-`, then a name with no `<`. */
const HEREDOC_WORD = /^(\d*)<<(-?)([^<]+)$/;

/** Parse Dockerfile text. `source` names the file in errors. */
export function parseDockerfile(text: string, source = "Dockerfile"): Dockerfile {
  if (text.length > MAX_DOCKERFILE_BYTES) {
    throw new CudasealError("LINT_INPUT_INVALID", `${source} is larger than 1 MiB`, {
      hint: "is this a Dockerfile?",
      details: { source },
    });
  }
  if (text.includes("\0")) {
    throw new CudasealError("LINT_INPUT_INVALID", `${source} holds NUL bytes: it is not a text file`, {
      details: { source },
    });
  }
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  // A final newline ends the last line; it does not start another.
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  const { directives, count } = readDirectives(lines, source);
  const problems: ParseProblem[] = [];
  const instructions: Instruction[] = [];
  const esc = directives.escape;
  const continuation = new RegExp(`${esc === "\\" ? "\\\\" : "`"}[ \\t]*$`);
  let i = count;
  while (i < lines.length) {
    const first = lines[i++];
    const startLine = i;
    if (isComment(first) || isBlank(first)) continue;
    let [logical, more] = trimContinuation(first.trimStart(), continuation);
    while (more && i < lines.length) {
      const next = lines[i++];
      if (isComment(next)) continue;
      if (isBlank(next)) {
        problems.push({
          kind: "empty-continuation",
          line: i,
          endLine: i,
          message:
            "empty line inside a continued instruction (BuildKit warns; a future version may refuse it)",
        });
        continue;
      }
      const [piece, again] = trimContinuation(next, continuation);
      logical += piece;
      more = again;
    }
    if (instructions.length === MAX_INSTRUCTIONS) {
      throw new CudasealError(
        "LINT_INPUT_INVALID",
        `${source} has more than ${MAX_INSTRUCTIONS} instructions`,
        {
          hint: "is this a Dockerfile?",
          details: { source, line: startLine },
        },
      );
    }
    const ins = toInstruction(logical, esc, startLine, i, problems);
    if (ins.heredocs.length > 0) i = readHeredocBodies(lines, i, ins, source);
    instructions.push(ins);
  }
  return { directives, instructions, problems };
}

function isComment(line: string): boolean {
  return /^\s*#/.test(line);
}

function isBlank(line: string): boolean {
  return /^\s*$/.test(line);
}

function trimContinuation(line: string, continuation: RegExp): [string, boolean] {
  const m = continuation.exec(line);
  return m ? [line.slice(0, m.index), true] : [line, false];
}

function readDirectives(lines: string[], source: string): { directives: Directives; count: number } {
  const directives: Directives = { escape: "\\" };
  const seen = new Set<string>();
  let count = 0;
  for (const line of lines) {
    const m = DIRECTIVE.exec(line);
    const name = m?.[1].toLowerCase();
    if (!m || name === undefined || !KNOWN_DIRECTIVES.has(name)) break;
    count++;
    if (seen.has(name)) {
      throw new CudasealError(
        "LINT_PARSE_ERROR",
        `${source}:${count}: only one '${name}' parser directive may be used`,
        {
          hint: "remove the repeated directive",
          details: { source, line: count },
        },
      );
    }
    seen.add(name);
    const value = m[2];
    if (name === "escape") {
      if (value !== "\\" && value !== "`") {
        throw new CudasealError(
          "LINT_PARSE_ERROR",
          `${source}:${count}: invalid escape character '${value}'`,
          {
            hint: "the escape directive takes \\ or ` (a backtick)",
            details: { source, line: count },
          },
        );
      }
      directives.escape = value;
    } else if (name === "syntax") {
      directives.syntax = value;
    } else {
      directives.check = value;
    }
  }
  return { directives, count };
}

function toInstruction(
  logical: string,
  esc: string,
  startLine: number,
  endLine: number,
  problems: ParseProblem[],
): Instruction {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(logical.trim()) ?? ["", "", ""];
  const written = m[1];
  const keyword = written.toUpperCase();
  const { flags, rest } = extractFlags(m[2]);
  const args = rest.trim();
  const ins: Instruction = { keyword, written, flags, args, heredocs: [], startLine, endLine };
  if (!KEYWORDS.has(keyword)) {
    problems.push({
      kind: "unknown-instruction",
      line: startLine,
      endLine,
      message: `unknown instruction '${written}'`,
    });
    return ins;
  }
  if (keyword === "ONBUILD") {
    // BuildKit reads no heredoc bodies for ONBUILD; neither do we.
    const trigger = toInstruction(args, esc, startLine, endLine, problems);
    ins.trigger = { ...trigger, heredocs: [] };
    return ins;
  }
  if (JSON_KEYWORDS.has(keyword) && args.startsWith("[")) {
    const json = jsonArray(args);
    if (json) ins.json = json;
    else {
      problems.push({
        kind: "json-form-invalid",
        line: startLine,
        endLine,
        message: `${keyword} starts with '[' but is not a JSON array of strings, so it runs in shell form`,
      });
    }
  }
  if (ins.json === undefined && HEREDOC_KEYWORDS.has(keyword) && args.includes("<<")) {
    ins.heredocs = heredocWords(args, esc);
  }
  return ins;
}

// BuildKit's parseJSON: the whole argument text must be an array of strings.
function jsonArray(text: string): string[] | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value;
  } catch {
    // Not JSON: BuildKit falls back to shell form, and so do we.
  }
  return undefined;
}

function heredocWords(args: string, esc: string): Heredoc[] {
  const heredocs: Heredoc[] = [];
  for (const word of splitWords(args, esc)) {
    const m = HEREDOC_WORD.exec(word);
    if (!m) continue;
    const name = unquote(m[3], esc);
    if (name === "") continue;
    heredocs.push({
      name,
      stripTabs: m[2] === "-",
      expand: !/["']/.test(m[3]),
      body: "",
      startLine: 0,
      endLine: 0,
    });
  }
  return heredocs;
}

function readHeredocBodies(lines: string[], from: number, ins: Instruction, source: string): number {
  let i = from;
  for (const doc of ins.heredocs) {
    doc.startLine = i + 1;
    let body = "";
    let done = false;
    while (i < lines.length) {
      const raw = lines[i++];
      const line = doc.stripTabs ? raw.replace(/^\t+/, "") : raw;
      if (line === doc.name) {
        done = true;
        break;
      }
      body += `${line}\n`;
    }
    if (!done) {
      throw new CudasealError(
        "LINT_PARSE_ERROR",
        `${source}:${ins.startLine}: heredoc '${doc.name}' of ${ins.keyword} is never terminated`,
        {
          hint: `end it with a line holding only ${doc.name}`,
          details: { source, line: ins.startLine, heredoc: doc.name },
        },
      );
    }
    doc.body = body;
    doc.endLine = i;
  }
  ins.endLine = i;
  return i;
}
