// What a parsed Dockerfile is: its parser directives and its instructions,
// each with the lines it spans, its flags, its arguments as written (shell
// form) or as a JSON array (exec form), and its heredoc bodies.

/** The parser directives at the top of the file (`# syntax=`, `# escape=`, `# check=`). */
export interface Directives {
  syntax?: string;
  /** The escape and line-continuation character: `\` unless `# escape=\``. */
  escape: "\\" | "`";
  /** The raw `# check=` value; cudaseal reads it but does not honour its skips (docs/lint.md). */
  check?: string;
}

/** `--name=value` (or a bare `--name`) written between the keyword and the arguments. */
export interface Flag {
  name: string;
  /** Quotes removed; undefined for a bare `--link`. */
  value?: string;
}

/** One `<<NAME` and the body that follows the instruction's line. */
export interface Heredoc {
  name: string;
  /** `<<-NAME`: leading tabs are stripped from the body and the terminator. */
  stripTabs: boolean;
  /** False when the name was quoted (`<<"EOF"`): the body is not expanded. */
  expand: boolean;
  /** The body, tabs already stripped for `<<-`, every line ending in "\n". */
  body: string;
  /** 1-based lines of the first body line and of the terminator. */
  startLine: number;
  endLine: number;
}

/** One instruction, continuations joined, heredocs attached. */
export interface Instruction {
  /** Upper case: `RUN`. */
  keyword: string;
  /** The keyword as written, for messages: `run`. */
  written: string;
  flags: Flag[];
  /** The arguments after the flags, continuation characters removed, lines joined as BuildKit joins them. */
  args: string;
  /** The exec form (`["a", "b"]`), when the arguments are a JSON array of strings. */
  json?: string[];
  heredocs: Heredoc[];
  /** 1-based first and last line, heredoc terminators included. */
  startLine: number;
  endLine: number;
  /** For `ONBUILD RUN …`: the instruction it registers. */
  trigger?: Instruction;
}

/** Something the parser saw that BuildKit would warn about or reject, but that leaves the structure clear. */
export interface ParseProblem {
  kind: "unknown-instruction" | "json-form-invalid" | "empty-continuation";
  line: number;
  endLine: number;
  message: string;
}

export interface Dockerfile {
  directives: Directives;
  instructions: Instruction[];
  problems: ParseProblem[];
}

/** The instructions BuildKit knows; any other keyword fails the build. */
export const KEYWORDS: ReadonlySet<string> = new Set([
  "ADD",
  "ARG",
  "CMD",
  "COPY",
  "ENTRYPOINT",
  "ENV",
  "EXPOSE",
  "FROM",
  "HEALTHCHECK",
  "LABEL",
  "MAINTAINER",
  "ONBUILD",
  "RUN",
  "SHELL",
  "STOPSIGNAL",
  "USER",
  "VOLUME",
  "WORKDIR",
]);

/** The value of `--name` on an instruction (the last one wins, as in BuildKit), or undefined. */
export function flagValue(ins: Instruction, name: string): string | undefined {
  let value: string | undefined;
  for (const f of ins.flags) if (f.name === name) value = f.value ?? "";
  return value;
}

/** Every value of a repeatable flag (`--mount`). */
export function flagValues(ins: Instruction, name: string): string[] {
  return ins.flags.filter((f) => f.name === name).map((f) => f.value ?? "");
}
