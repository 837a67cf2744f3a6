// Variable substitution as BuildKit does it in FROM, ENV, USER, WORKDIR,
// COPY and the rest: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
// `${VAR:+alt}`, `${VAR+alt}`, and `${VAR:?message}`; single quotes stop
// expansion, the escape character makes `$` literal, and quotes are removed.
// A name with no value becomes "" (as in BuildKit) and is reported as
// unresolved, so a rule can tell an unknown image from a known one.

import { CudasealError } from "../errors.ts";

/**
 * The longest a word may grow by expansion. Each ENV can double the one
 * before it (`ENV B=$A$A`), so a few dozen lines would otherwise build a
 * gigabyte string; no real Dockerfile comes near this.
 */
export const MAX_EXPANDED_CHARS = 64 * 1024;

/** The variables in scope: a name maps to its value. */
export type Vars = ReadonlyMap<string, string>;

export interface Expanded {
  value: string;
  /** Names that were used but had no value (each once, in order of use). */
  unresolved: string[];
}

/** Expand one raw word (quotes as written) against `vars`. */
export function expandWord(raw: string, vars: Vars, esc = "\\"): Expanded {
  const unresolved: string[] = [];
  const value = expand(raw, vars, esc, unresolved, true);
  return { value, unresolved: [...new Set(unresolved)] };
}

function expand(text: string, vars: Vars, esc: string, unresolved: string[], quotes: boolean): string {
  let out = "";
  let quote = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quotes && quote === "'") {
      if (ch === "'") quote = "";
      else out += ch;
      continue;
    }
    if (quotes && (ch === '"' || ch === "'") && (quote === "" || quote === ch)) {
      quote = quote === ch ? "" : ch;
      continue;
    }
    if (ch === esc && i + 1 < text.length) {
      const next = text[i + 1];
      // Inside double quotes the escape only escapes what it must; elsewhere it escapes anything.
      if (quote !== '"' || '"$`\\'.includes(next)) {
        out += next;
        i++;
        continue;
      }
      out += ch;
      continue;
    }
    if (ch !== "$") {
      out += ch;
      continue;
    }
    const braced = text[i + 1] === "{";
    if (!braced) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
      if (!m) {
        out += ch;
        continue;
      }
      out = capped(out + lookup(m[0], vars, unresolved));
      i += m[0].length;
      continue;
    }
    const close = matchingBrace(text, i + 1);
    if (close < 0) {
      out += text.slice(i);
      break;
    }
    out = capped(out + braces(text.slice(i + 2, close), vars, esc, unresolved));
    i = close;
  }
  return out;
}

function capped(text: string): string {
  if (text.length <= MAX_EXPANDED_CHARS) return text;
  throw new CudasealError(
    "LINT_INPUT_INVALID",
    `a variable expands to more than ${MAX_EXPANDED_CHARS} characters (ENV or ARG values built from each other)`,
    { hint: "not a Dockerfile a build would finish; the caps keep hostile input from exhausting memory" },
  );
}

function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let j = open; j < text.length; j++) {
    if (text[j] === "{") depth++;
    else if (text[j] === "}" && --depth === 0) return j;
  }
  return -1;
}

function braces(inner: string, vars: Vars, esc: string, unresolved: string[]): string {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::?[-+?])?/.exec(inner);
  if (!m) return "";
  const name = m[1];
  const op = inner.slice(name.length, m[0].length);
  const word = inner.slice(m[0].length);
  const value = vars.get(name);
  const set = value !== undefined;
  const nonEmpty = set && value !== "";
  const alt = () => expand(word, vars, esc, unresolved, false);
  switch (op) {
    case ":-":
      return nonEmpty ? value : alt();
    case "-":
      return set ? value : alt();
    case ":+":
      return nonEmpty ? alt() : "";
    case "+":
      return set ? alt() : "";
    case ":?":
    case "?":
      if (!set) unresolved.push(name);
      return value ?? "";
    default:
      return lookup(name, vars, unresolved);
  }
}

function lookup(name: string, vars: Vars, unresolved: string[]): string {
  const value = vars.get(name);
  if (value === undefined) unresolved.push(name);
  return value ?? "";
}
