// PEP 508 environment markers (`python_version >= "3.11" and
// platform_machine == "x86_64"`), with PEP 751's additions (`"cli" in
// extras`, `"dev" in dependency_groups`), evaluated for the image rather
// than for the machine cudaseal runs on: Linux, CPython, the image's own
// interpreter version and the architecture being built.
//
// Comparison follows packaging's rule: when the right-hand side is a valid
// version for the operator, the comparison is PEP 440 (pre-releases
// admitted); otherwise it is a plain string comparison. `extra` compares
// normalised names against the extras in force.

import { CudasealError } from "../errors.ts";
import { normalizeName } from "./names.ts";
import { satisfies, tryParseSpecifier } from "./pep440.ts";
import type { InterpreterFacts } from "./types.ts";

/** The values markers are evaluated against. */
export interface MarkerEnvironment {
  os_name: string;
  sys_platform: string;
  platform_machine: string;
  platform_python_implementation: string;
  platform_release: string;
  platform_system: string;
  platform_version: string;
  python_version: string;
  python_full_version: string;
  implementation_name: string;
  implementation_version: string;
  /** Extras in force, normalised: what `extra == "x"` and `"x" in extras` test. */
  extras: ReadonlySet<string>;
  /** Dependency groups in force, normalised (`"dev" in dependency_groups`). */
  dependency_groups: ReadonlySet<string>;
}

/** Debian architecture → `platform_machine` (what `uname -m` says there). */
const MACHINES: Record<string, string> = {
  amd64: "x86_64",
  arm64: "aarch64",
  ppc64el: "ppc64le",
  s390x: "s390x",
};

/** `platform_machine` for a Debian architecture; PY_NO_WHEEL for one Python wheels are not chosen for. */
export function platformMachine(arch: string): string {
  const machine = MACHINES[arch];
  if (machine === undefined)
    throw new CudasealError(
      "PY_NO_WHEEL",
      `Python wheels cannot be chosen for the Debian architecture ${arch}`,
      {
        hint: `supported: ${Object.keys(MACHINES).join(", ")}`,
      },
    );
  return machine;
}

/** The image's full interpreter version, `3.13.5`; `3.13.0` where only major.minor is known. */
export function fullPythonVersion(interpreter: InterpreterFacts): string {
  return interpreter.fullVersion ?? `${interpreter.version[0]}.${interpreter.version[1]}.0`;
}

/** The marker environment of the image's interpreter, with the given extras and groups in force. */
export function environmentFor(
  interpreter: InterpreterFacts,
  active: { extras?: Iterable<string>; groups?: Iterable<string> } = {},
): MarkerEnvironment {
  const full = fullPythonVersion(interpreter);
  return {
    os_name: "posix",
    sys_platform: "linux",
    platform_machine: platformMachine(interpreter.arch),
    platform_python_implementation: "CPython",
    // The kernel is the host's at run time, unknown at build time.
    platform_release: "",
    platform_system: "Linux",
    platform_version: "",
    python_version: `${interpreter.version[0]}.${interpreter.version[1]}`,
    python_full_version: full,
    implementation_name: "cpython",
    implementation_version: full,
    extras: new Set([...(active.extras ?? [])].map(normalizeName)),
    dependency_groups: new Set([...(active.groups ?? [])].map(normalizeName)),
  };
}

// --- parsing ---------------------------------------------------------------

type Value = { kind: "var"; name: string } | { kind: "str"; value: string };
type Op = "<" | "<=" | "==" | "!=" | ">=" | ">" | "~=" | "===" | "in" | "not in";

/** A parsed marker expression. */
export type Marker =
  | { kind: "and" | "or"; left: Marker; right: Marker }
  | { kind: "cmp"; left: Value; op: Op; right: Value };

const VARIABLES = new Set([
  "os_name",
  "sys_platform",
  "platform_machine",
  "platform_python_implementation",
  "platform_release",
  "platform_system",
  "platform_version",
  "python_version",
  "python_full_version",
  "implementation_name",
  "implementation_version",
  "extra",
  "extras",
  "dependency_groups",
]);

/** Spellings from before PEP 508 that packaging still reads. */
const ALIASES: Record<string, string> = {
  "os.name": "os_name",
  "sys.platform": "sys_platform",
  "platform.version": "platform_version",
  "platform.machine": "platform_machine",
  "platform.python_implementation": "platform_python_implementation",
  python_implementation: "platform_python_implementation",
};

const MAX_MARKER_LENGTH = 16 * 1024;
const MAX_NESTING = 64;

type Token =
  | { t: "str"; v: string }
  | { t: "id"; v: string }
  | { t: "op"; v: string }
  | { t: "(" }
  | { t: ")" };

function invalid(text: string, why: string): CudasealError {
  return new CudasealError("PY_LOCK_INVALID", `marker ${JSON.stringify(text.slice(0, 120))}: ${why}`, {
    hint: "markers follow PEP 508, e.g. python_version >= '3.11' and platform_machine == 'x86_64'",
  });
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "(" || c === ")") {
      out.push({ t: c });
      i++;
    } else if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw invalid(text, "unterminated string");
      out.push({ t: "str", v: text.slice(i + 1, end) });
      i = end + 1;
    } else {
      const op = /^(===|==|!=|<=|>=|~=|<|>)/.exec(text.slice(i, i + 3));
      if (op) {
        out.push({ t: "op", v: op[1] as string });
        i += (op[1] as string).length;
        continue;
      }
      const id = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(i));
      if (!id) throw invalid(text, `unexpected ${JSON.stringify(c)}`);
      out.push({ t: "id", v: id[0] });
      i += id[0].length;
    }
  }
  return out;
}

/** Parse a marker; PY_LOCK_INVALID when it is not PEP 508. */
export function parseMarker(text: string): Marker {
  if (text.length > MAX_MARKER_LENGTH) throw invalid(text, "too long");
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const isWord = (w: string) => {
    const t = peek();
    return t?.t === "id" && t.v === w;
  };
  const value = (): Value => {
    const t = tokens[pos++];
    if (t?.t === "str") return { kind: "str", value: t.v };
    if (t?.t === "id") {
      const name = ALIASES[t.v] ?? t.v;
      if (!VARIABLES.has(name)) throw invalid(text, `unknown variable ${t.v}`);
      return { kind: "var", name };
    }
    throw invalid(text, "expected a variable or a quoted string");
  };
  const op = (): Op => {
    const t = tokens[pos++];
    if (t?.t === "op") return t.v as Op;
    if (t?.t === "id" && t.v === "in") return "in";
    if (t?.t === "id" && t.v === "not" && isWord("in")) {
      pos++;
      return "not in";
    }
    throw invalid(text, "expected a comparison operator");
  };
  // Parentheses nest at most MAX_NESTING deep, so hostile input cannot exhaust the stack.
  let depth = 0;
  const atom = (): Marker => {
    if (peek()?.t === "(") {
      pos++;
      if (++depth > MAX_NESTING) throw invalid(text, `parentheses nest deeper than ${MAX_NESTING}`);
      const inner = or();
      depth--;
      if (tokens[pos++]?.t !== ")") throw invalid(text, "missing )");
      return inner;
    }
    const left = value();
    const o = op();
    const right = value();
    return { kind: "cmp", left, op: o, right };
  };
  const and = (): Marker => {
    let left = atom();
    while (isWord("and")) {
      pos++;
      left = { kind: "and", left, right: atom() };
    }
    return left;
  };
  const or = (): Marker => {
    let left = and();
    while (isWord("or")) {
      pos++;
      left = { kind: "or", left, right: and() };
    }
    return left;
  };
  if (tokens.length === 0) throw invalid(text, "empty");
  const marker = or();
  if (pos !== tokens.length) throw invalid(text, "unexpected text after the expression");
  return marker;
}

// --- evaluation --------------------------------------------------------------

const SET_VARIABLES = new Set(["extras", "dependency_groups"]);

function stringCompare(lhs: string, op: Op, rhs: string): boolean | undefined {
  switch (op) {
    case "==":
      return lhs === rhs;
    case "!=":
      return lhs !== rhs;
    case "<":
      return lhs < rhs;
    case "<=":
      return lhs <= rhs;
    case ">":
      return lhs > rhs;
    case ">=":
      return lhs >= rhs;
    case "in":
      return rhs.includes(lhs);
    case "not in":
      return !rhs.includes(lhs);
    default:
      return undefined;
  }
}

function evaluateCmp(m: Extract<Marker, { kind: "cmp" }>, env: MarkerEnvironment, text: string): boolean {
  const { left, op, right } = m;
  // Sets: `"x" in extras`.
  if (right.kind === "var" && SET_VARIABLES.has(right.name)) {
    if (left.kind !== "str" || (op !== "in" && op !== "not in"))
      throw invalid(text, `${right.name} can only be tested with "name" in ${right.name}`);
    const set = right.name === "extras" ? env.extras : env.dependency_groups;
    const has = set.has(normalizeName(left.value));
    return op === "in" ? has : !has;
  }
  if (left.kind === "var" && SET_VARIABLES.has(left.name))
    throw invalid(text, `${left.name} must be on the right of in`);
  // `extra`: the extras in force, by normalised name.
  if ((left.kind === "var" && left.name === "extra") || (right.kind === "var" && right.name === "extra")) {
    const other = left.kind === "var" && left.name === "extra" ? right : left;
    if (other.kind !== "str" || (op !== "==" && op !== "!="))
      throw invalid(text, "extra is compared with == or != to a name");
    const has = env.extras.has(normalizeName(other.value));
    return op === "==" ? has : !has;
  }
  const resolve = (v: Value): string =>
    v.kind === "str" ? v.value : (env[v.name as keyof MarkerEnvironment] as string);
  const lhs = resolve(left);
  const rhs = resolve(right);
  if (op !== "in" && op !== "not in") {
    const spec = tryParseSpecifier(`${op}${rhs}`);
    if (spec !== undefined) return satisfies(lhs, [spec], { prereleases: true });
  }
  const result = stringCompare(lhs, op, rhs);
  if (result === undefined)
    throw invalid(text, `${op} needs a version on its right, not ${JSON.stringify(rhs)}`);
  return result;
}

function evaluateParsed(m: Marker, env: MarkerEnvironment, text: string): boolean {
  if (m.kind === "and") return evaluateParsed(m.left, env, text) && evaluateParsed(m.right, env, text);
  if (m.kind === "or") return evaluateParsed(m.left, env, text) || evaluateParsed(m.right, env, text);
  return evaluateCmp(m as Extract<Marker, { kind: "cmp" }>, env, text);
}

/** Whether `marker` holds in `env`; an absent or empty marker always does. */
export function evaluateMarker(marker: string | undefined, env: MarkerEnvironment): boolean {
  if (marker === undefined || marker.trim() === "") return true;
  return evaluateParsed(parseMarker(marker), env, marker);
}
