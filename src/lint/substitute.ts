// Variable substitution as BuildKit does it in FROM, ARG, ENV, USER, WORKDIR,
// COPY and the rest, following its lexer (frontend/dockerfile/shell/lex.go)
// step by step, and checked against its own test data
// (test/fixtures/buildkit/):
//
//   $VAR ${VAR}                 the value; unset is "" (and reported unresolved)
//   ${VAR:-w} ${VAR-w}          w when VAR is unset (or, with `:`, empty)
//   ${VAR:+w} ${VAR+w}          w when VAR is set (or, with `:`, non-empty)
//   ${VAR:?msg} ${VAR?msg}      the build stops with "VAR: msg" when unset (or empty)
//   ${VAR#p} ${VAR##p}          VAR without its shortest/longest prefix matching p
//   ${VAR%p} ${VAR%%p}          VAR without its shortest/longest suffix matching p
//   ${VAR/p/r} ${VAR//p/r}      the first/every match of p replaced by r
//
// Patterns are BuildKit's, not full shell globs: `*`, `?` and `\` escapes of
// `*`, `?`, `\`, `}` and `/`; `[` is a literal character (BuildKit has no
// bracket expressions). `$1`, `$@`, `$$` and the other positional and
// special parameters are never set in a Dockerfile, so they expand to "".
// BuildKit turns a pattern into a Go regexp; here it is matched over the
// set of positions it can reach, which finds the same shortest or longest
// match without the backtracking a JavaScript RegExp could be driven into.
// Single quotes stop expansion, the escape character makes the next one
// literal, and quotes are removed.
//
// BuildKit fails the build on a malformed expression (`${}`, `${VAR`,
// `${VAR:=x}`, an unterminated quote) and on `:?`; both come back as
// `error` instead of a throw, so the linter can report them and go on.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: messages spell ${VAR} as Dockerfiles do

import { CudasealError } from "../errors.ts";

/**
 * The longest a word may grow by expansion. Each ENV can double the one
 * before it (`ENV B=$A$A`), so a few dozen lines would otherwise build a
 * gigabyte string; no real Dockerfile comes near this.
 */
export const MAX_EXPANDED_CHARS = 64 * 1024;

/**
 * The most pattern-matching steps one word may cost (pattern length times
 * value length, summed). BuildKit's Go regexps run in linear time; this
 * keeps a hostile `${A//?/x}` over a long value from stalling the linter.
 */
const MAX_MATCH_STEPS = 5_000_000;

/**
 * The most steps all the words of one Dockerfile may cost together: a 1 MiB
 * file of words each just under the per-word cap would otherwise keep the
 * linter busy for minutes.
 */
const MAX_FILE_MATCH_STEPS = 50_000_000;

// The steps spent by the file being linted (withMatchBudget); the lint is
// synchronous, so one counter at a time is enough.
let fileSteps: { spent: number } | undefined;

/** Runs `fn` (the lint of one file) with MAX_FILE_MATCH_STEPS shared by every word it expands. */
export function withMatchBudget<T>(fn: () => T): T {
  const outer = fileSteps;
  fileSteps = { spent: 0 };
  try {
    return fn();
  } finally {
    fileSteps = outer;
  }
}

/** The variables in scope: a name maps to its value. */
export type Vars = ReadonlyMap<string, string>;

/** Why BuildKit would stop at this word. */
export interface ExpansionError {
  /** `syntax`: BuildKit cannot read the expression; `required`: `${NAME?msg}` or `${NAME:?msg}` failed. */
  kind: "syntax" | "required";
  /** BuildKit's message: `syntax error: bad substitution`, `IMAGE: must be set`. */
  message: string;
  /** The variable a `required` error names. */
  name?: string;
}

export interface Expanded {
  /** The word expanded; the raw word itself when a syntax error stopped the expansion. */
  value: string;
  /** Names that were used but had no value (each once, in order of use). */
  unresolved: string[];
  /** The first error BuildKit would stop the build with. */
  error?: ExpansionError;
}

export interface ExpandedWords {
  /** The words after expansion, split at unquoted blanks (BuildKit's ProcessWords, used for EXPOSE). */
  words: string[];
  unresolved: string[];
  error?: ExpansionError;
}

/** Expand one raw word (quotes as written) against `vars`, as BuildKit's ProcessWord. */
export function expandWord(raw: string, vars: Vars, esc = "\\"): Expanded {
  const lexer = new Lexer(raw, vars, esc);
  try {
    const { result } = lexer.process();
    return finish(lexer, { value: result });
  } catch (err) {
    if (!(err instanceof SyntaxProblem)) throw err;
    return finish(lexer, { value: raw }, { kind: "syntax", message: err.message });
  }
}

/** Expand a raw text and split it into words, as BuildKit's ProcessWords. */
export function expandWords(raw: string, vars: Vars, esc = "\\"): ExpandedWords {
  const lexer = new Lexer(raw, vars, esc);
  try {
    return finish(lexer, { words: lexer.process().words });
  } catch (err) {
    if (!(err instanceof SyntaxProblem)) throw err;
    return finish(lexer, { words: [] }, { kind: "syntax", message: err.message });
  }
}

function finish<T extends object>(
  lexer: Lexer,
  result: T,
  syntax?: ExpansionError,
): T & { unresolved: string[]; error?: ExpansionError } {
  const error = syntax ?? lexer.required;
  return { ...result, unresolved: [...new Set(lexer.unresolved)], ...(error === undefined ? {} : { error }) };
}

/** A malformed expression: BuildKit's lexer returns an error here. */
class SyntaxProblem extends Error {}

const SPECIAL_PARAMS = "@*#?-$!0";
const isDigit = (ch: string) => /^\p{Nd}$/u.test(ch);
const isLetter = (ch: string) => /^\p{L}$/u.test(ch);
const isSpace = (ch: string) => /^\p{White_Space}$/u.test(ch);

/**
 * BuildKit's wordsStruct: the words of the text being processed. Its buffer
 * is the lexer's one `wordsBuffer`, which every nested `${…:-word}` resets,
 * so BuildKit drops the text before such an expression from the word being
 * built (`80${P:-80}` gives the one word `80`); kept, since that is what a
 * build gets.
 */
class Words {
  private inWord = false;
  private readonly words: string[] = [];
  private readonly shared: { buf: string };

  constructor(shared: { buf: string }) {
    this.shared = shared;
    shared.buf = "";
  }

  private get buf(): string {
    return this.shared.buf;
  }

  private set buf(text: string) {
    this.shared.buf = text;
  }

  addChar(ch: string): void {
    if (!isSpace(ch)) this.addRawChar(ch);
    else if (this.inWord && this.buf !== "") {
      this.words.push(this.buf);
      this.buf = "";
      this.inWord = false;
    }
  }

  addRawChar(ch: string): void {
    this.buf += ch;
    this.inWord = true;
  }

  addString(text: string): void {
    for (const ch of text) this.addChar(ch);
  }

  addRawString(text: string): void {
    this.buf += text;
    this.inWord = true;
  }

  get(): string[] {
    if (this.buf !== "") {
      this.words.push(this.buf);
      this.buf = "";
      this.inWord = false;
    }
    return this.words;
  }
}

// BuildKit's shellWord: a scanner over the word's characters (code points,
// as Go's text/scanner reads runes).
class Lexer {
  private readonly chars: string[];
  private pos = 0;
  private rawEscapes = false;
  private steps = 0;
  private readonly wordsBuffer = { buf: "" };
  readonly unresolved: string[] = [];
  required?: ExpansionError;
  private readonly vars: Vars;
  private readonly esc: string;

  constructor(text: string, vars: Vars, esc: string) {
    this.chars = [...text];
    this.vars = vars;
    this.esc = esc;
  }

  process(): { result: string; words: string[] } {
    return this.processStopOn(undefined, false);
  }

  private peek(): string | undefined {
    return this.chars[this.pos];
  }

  private next(): string | undefined {
    const ch = this.chars[this.pos];
    if (ch !== undefined) this.pos++;
    return ch;
  }

  // Process up to `stop` (consumed) or the end. Escapes are kept as written
  // when `rawEscapes` (the pattern and replacement of # % /).
  private processStopOn(stop: string | undefined, rawEscapes: boolean): { result: string; words: string[] } {
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      let result = "";
      const words = new Words(this.wordsBuffer);
      for (let ch = this.peek(); ch !== undefined; ch = this.peek()) {
        if (stop !== undefined && ch === stop) {
          this.next();
          return { result, words: words.get() };
        }
        if (ch === "$" || ch === "<" || ch === "'" || ch === '"') {
          const text =
            ch === "$"
              ? this.processDollar()
              : ch === "<"
                ? this.processPossibleHeredoc()
                : ch === "'"
                  ? this.processSingleQuote()
                  : this.processDoubleQuote();
          result = capped(result + text);
          if (ch === "$") words.addString(text);
          else words.addRawString(text);
          continue;
        }
        let c = this.next() as string;
        if (c === this.esc) {
          if (this.rawEscapes) {
            words.addRawChar(c);
            result += c;
          }
          // The escape character escapes the next character, except at the end of the word.
          const escaped = this.next();
          if (escaped === undefined) break;
          c = escaped;
          words.addRawChar(c);
        } else {
          words.addChar(c);
        }
        result = capped(result + c);
      }
      if (stop !== undefined) {
        throw new SyntaxProblem(`unexpected end of statement while looking for matching ${stop}`);
      }
      return { result, words: words.get() };
    } finally {
      this.rawEscapes = saved;
    }
  }

  // Everything up to the next ' is literal; nothing escapes a single quote.
  private processSingleQuote(): string {
    this.next();
    let result = "";
    for (;;) {
      const ch = this.next();
      if (ch === undefined) {
        throw new SyntaxProblem("unexpected end of statement while looking for matching single-quote");
      }
      if (ch === "'") return result;
      result += ch;
    }
  }

  // Literal except $, and the escape character before ", $ or itself.
  private processDoubleQuote(): string {
    this.next();
    let result = "";
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) {
        throw new SyntaxProblem("unexpected end of statement while looking for matching double-quote");
      }
      if (ch === '"') {
        this.next();
        return result;
      }
      if (ch === "$") {
        result = capped(result + this.processDollar());
        continue;
      }
      let c = this.next() as string;
      if (c === this.esc) {
        if (this.rawEscapes) result += c;
        const after = this.peek();
        if (after === undefined) continue;
        if (after === '"' || after === "$" || after === this.esc) c = this.next() as string;
      }
      result = capped(result + c);
    }
  }

  private processDollar(): string {
    this.next();
    if (this.peek() !== "{") {
      const name = this.processName();
      return name === "" ? "$" : (this.getEnv(name) ?? "");
    }
    this.next();
    const first = this.peek();
    if (first === undefined) throw new SyntaxProblem("syntax error: missing '}'");
    if (first === "{" || first === "}" || first === ":")
      throw new SyntaxProblem("syntax error: bad substitution");
    const name = this.processName();
    const ch = this.next();
    switch (ch) {
      case "}":
        return this.getEnv(name) ?? "";
      case ":": {
        const op = this.next();
        return this.modifier(name, op, `:${op ?? ""}`, true);
      }
      case "+":
      case "-":
      case "?":
      case "#":
      case "%":
        return this.modifier(name, ch, ch, false);
      case "/":
        return this.replace(name);
      case undefined:
        // BuildKit says "unsupported modifier (\uFFFD)" here, the Go rune for the end of input.
        throw new SyntaxProblem("syntax error: missing '}'");
      default:
        throw new SyntaxProblem(`unsupported modifier (${ch ?? ""}) in substitution`);
    }
  }

  // ${NAME<op>word} for - + ? # %, and the same after `:` (null counts as unset).
  private modifier(name: string, op: string | undefined, written: string, nullIsUnset: boolean): string {
    const pattern = op === "#" || op === "%";
    if (nullIsUnset && pattern) throw new SyntaxProblem(`unsupported modifier (${written}) in substitution`);
    const word = this.stopOnOrMissing("}", pattern, "syntax error: missing '}'");
    const value = this.getEnv(name);
    const unsetOrNull = value === undefined || (nullIsUnset && value === "");
    switch (op) {
      case "-":
        return unsetOrNull ? word : (value as string);
      case "+":
        return unsetOrNull ? "" : word;
      case "?":
        if (value === undefined) return this.fail(name, word || "is not allowed to be unset");
        if (nullIsUnset && value === "") return this.fail(name, word || "is not allowed to be empty");
        return value;
      case "#":
      case "%": {
        // One # or % is the shortest match, two the longest.
        const greedy = word.startsWith(op);
        const glob = greedy ? word.slice(1) : word;
        return op === "%"
          ? this.trimSuffix(glob, value ?? "", greedy)
          : this.trimPrefix(glob, value ?? "", greedy);
      }
      default:
        throw new SyntaxProblem(`unsupported modifier (${written}) in substitution`);
    }
  }

  // ${NAME/pattern/replacement} and ${NAME//pattern/replacement}.
  private replace(name: string): string {
    const all = this.peek() === "/";
    if (all) this.next();
    const pattern = this.stopOnOrMissing("/", true, "syntax error: missing '/' in ${}");
    const replacement = this.stopOnOrMissing("}", true, "syntax error: missing '}'");
    const value = [...(this.getEnv(name) ?? "")];
    const tokens = globTokens([...pattern], pattern);
    if (!all) {
      const m = this.search(tokens, value, 0);
      if (m === undefined) return value.join("");
      return value.slice(0, m[0]).join("") + replacement + value.slice(m[1]).join("");
    }
    // Go's Regexp.ReplaceAllString: `$0` in the replacement is the match, and
    // an empty match right after another match is not replaced.
    let out = "";
    let lastEnd = 0;
    for (let from = 0; from <= value.length; ) {
      const m = this.search(tokens, value, from);
      if (m === undefined) break;
      out += value.slice(lastEnd, m[0]).join("");
      if (m[1] > lastEnd || m[0] === 0)
        out = capped(out + goTemplate(replacement, value.slice(m[0], m[1]).join("")));
      lastEnd = m[1];
      from = Math.max(from + 1, m[1]);
    }
    return capped(out + value.slice(lastEnd).join(""));
  }

  private stopOnOrMissing(stop: string, rawEscapes: boolean, missing: string): string {
    try {
      return this.processStopOn(stop, rawEscapes).result;
    } catch (err) {
      if (err instanceof SyntaxProblem && this.peek() === undefined) throw new SyntaxProblem(missing);
      throw err;
    }
  }

  // A name: letters, digits and _, or one special parameter, or a run of digits (positional).
  private processName(): string {
    let name = "";
    for (let ch = this.peek(); ch !== undefined; ch = this.peek()) {
      if (name === "" && isDigit(ch)) {
        while (this.peek() !== undefined && isDigit(this.peek() as string)) name += this.next();
        return name;
      }
      if (name === "" && SPECIAL_PARAMS.includes(ch)) return this.next() as string;
      if (!isLetter(ch) && !isDigit(ch) && ch !== "_") break;
      name += this.next();
    }
    return name;
  }

  // `<<` and the blanks after it pass through as one piece (a heredoc marker).
  private processPossibleHeredoc(): string {
    this.next();
    if (this.peek() !== "<") return "<";
    this.next();
    let result = "<<";
    for (let ch = this.peek(); ch === " " || ch === "\t" || ch === "\r"; ch = this.peek())
      result += this.next();
    return result;
  }

  private getEnv(name: string): string | undefined {
    const value = this.vars.get(name);
    if (value === undefined) this.unresolved.push(name);
    return value;
  }

  // BuildKit stops the build here; the linter keeps the first such error and goes on with "".
  private fail(name: string, message: string): string {
    this.required ??= { kind: "required", message: `${name}: ${message}`, name };
    return "";
  }

  private trimPrefix(pattern: string, value: string, greedy: boolean): string {
    const chars = [...value];
    const end = this.prefixEnd(globTokens([...pattern], pattern), chars, greedy);
    return end === undefined ? value : chars.slice(end).join("");
  }

  // BuildKit reverses the pattern (escapes kept in front of what they escape)
  // and the value, and trims a prefix: the shortest rightmost match.
  private trimSuffix(pattern: string, value: string, greedy: boolean): string {
    const reversed = [...value].reverse();
    const end = this.prefixEnd(globTokens(reversePattern([...pattern]), pattern), reversed, greedy);
    return end === undefined ? value : reversed.slice(end).reverse().join("");
  }

  // The end of the shortest (or longest) prefix of `value` the pattern matches.
  private prefixEnd(tokens: GlobToken[], value: string[], greedy: boolean): number | undefined {
    this.spend(tokens.length, value.length);
    let at = new Uint8Array(value.length + 1);
    at[0] = 1;
    for (const t of tokens) {
      const next = new Uint8Array(value.length + 1);
      if (t.kind === "star") {
        const first = at.indexOf(1);
        if (first >= 0) next.fill(1, first);
      } else {
        for (let i = 0; i < value.length; i++)
          if (at[i] && (t.kind === "any" || value[i] === t.ch)) next[i + 1] = 1;
      }
      at = next;
    }
    const end = greedy ? at.lastIndexOf(1) : at.indexOf(1);
    return end < 0 ? undefined : end;
  }

  // The leftmost match at or after `from`, longest there (the pattern's
  // stars are greedy): [start, end], or undefined.
  private search(tokens: GlobToken[], value: string[], from: number): [number, number] | undefined {
    this.spend(tokens.length, value.length - from);
    const none = value.length + 1;
    // For each position, the leftmost start from which the tokens so far reach it.
    let start = new Int32Array(value.length + 1).fill(none);
    for (let i = from; i <= value.length; i++) start[i] = i;
    for (const t of tokens) {
      const next = new Int32Array(value.length + 1).fill(none);
      if (t.kind === "star") {
        let least = none;
        for (let i = from; i <= value.length; i++) {
          least = Math.min(least, start[i]);
          next[i] = least;
        }
      } else {
        for (let i = from; i < value.length; i++) {
          if (start[i] !== none && (t.kind === "any" || value[i] === t.ch)) next[i + 1] = start[i];
        }
      }
      start = next;
    }
    let best: [number, number] | undefined;
    for (let i = from; i <= value.length; i++) {
      if (start[i] === none) continue;
      if (best === undefined || start[i] < best[0] || (start[i] === best[0] && i > best[1]))
        best = [start[i], i];
    }
    return best;
  }

  private spend(patternLength: number, valueLength: number): void {
    const cost = (patternLength + 1) * (valueLength + 1);
    this.steps += cost;
    if (fileSteps !== undefined) fileSteps.spent += cost;
    if (this.steps <= MAX_MATCH_STEPS && (fileSteps?.spent ?? 0) <= MAX_FILE_MATCH_STEPS) return;
    throw new CudasealError(
      "LINT_INPUT_INVALID",
      "a ${VAR#…}, ${VAR%…} or ${VAR/…/…} pattern takes too long to match",
      {
        hint: "not a Dockerfile a build needs; the caps keep hostile input from stalling the linter",
      },
    );
  }
}

type GlobToken = { kind: "star" } | { kind: "any" } | { kind: "char"; ch: string };

// BuildKit's convertShellPatternToRegex, as tokens: `*`, `?`, and `\`
// before `*`, `?` or `\`; `\}` and `\/` are the brace and the slash.
function globTokens(chars: string[], written: string): GlobToken[] {
  const tokens: GlobToken[] = [];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (ch === "*") tokens.push({ kind: "star" });
    else if (ch === "?") tokens.push({ kind: "any" });
    else if (ch !== "\\") tokens.push({ kind: "char", ch });
    else if (chars[i + 1] === "}" || chars[i + 1] === "/") continue;
    else {
      const escaped = chars[++i];
      if (escaped !== "*" && escaped !== "?" && escaped !== "\\") {
        throw new SyntaxProblem(
          `invalid pattern (${written}) in substitution: invalid escape '\\${escaped ?? ""}'`,
        );
      }
      tokens.push({ kind: "char", ch: escaped });
    }
  }
  return tokens;
}

// BuildKit's reversePattern: reversed, but `\x` stays `\x`.
function reversePattern(chars: string[]): string[] {
  const out = new Array<string>(chars.length);
  const last = chars.length - 1;
  for (let i = 0; i <= last; ) {
    if (chars[i] === "\\" && i !== last) {
      out[last - i - 1] = "\\";
      out[last - i] = chars[i + 1];
      i += 2;
    } else {
      out[last - i] = chars[i];
      i++;
    }
  }
  return out;
}

// Go's Regexp.Expand for a pattern without groups: `$$` is `$`, `$0` and
// `${0}` the match, any other `$name` nothing, a `$` before no name itself.
function goTemplate(template: string, match: string): string {
  return template.replace(/\$(?:\$|\{([\p{L}\p{Nd}_]+)\}|([\p{L}\p{Nd}_]+))?/gu, (all, braced, bare) => {
    if (all === "$$") return "$";
    const name = braced ?? bare;
    if (name === undefined) return "$";
    return name === "0" ? match : "";
  });
}

function capped(text: string): string {
  if (text.length <= MAX_EXPANDED_CHARS) return text;
  throw new CudasealError(
    "LINT_INPUT_INVALID",
    `a variable expands to more than ${MAX_EXPANDED_CHARS} characters (ENV or ARG values built from each other)`,
    { hint: "not a Dockerfile a build would finish; the caps keep hostile input from exhausting memory" },
  );
}
