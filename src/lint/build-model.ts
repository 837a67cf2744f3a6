// The build a Dockerfile describes, as BuildKit would evaluate it: global
// ARGs (those before the first FROM, visible only to FROM lines), stages with
// their base image expanded, and for every instruction the state it runs in
// (variables in scope, WORKDIR, USER). A stage built FROM an earlier stage
// inherits its ENV, WORKDIR and USER, but not its ARGs.
//
// Rules read this model instead of re-walking the instructions, so scoping
// is decided in one place. Every word BuildKit expands (FROM, ARG, ENV,
// WORKDIR, USER, COPY/ADD, LABEL, EXPOSE, VOLUME, STOPSIGNAL) is expanded
// here once, and the ones BuildKit would stop the build at are kept in
// `expansionErrors`.

import type { Dockerfile, Instruction } from "./dockerfile.ts";
import { copyArgs, fromArgs, nameValues } from "./instruction-args.ts";
import { type Expanded, type ExpansionError, expandWord, type Vars } from "./substitute.ts";
import { splitWords } from "./words.ts";

/** An image named by FROM, COPY --from or RUN --mount=from, after substitution. */
export interface ImageRef {
  /** As written: `nvidia/cuda:${CUDA}-devel-ubuntu22.04`. */
  raw: string;
  /** Substituted: `nvidia/cuda:12.4.1-devel-ubuntu22.04`. */
  name: string;
  /** Variables with no value (the name is then not the real one). */
  unresolved: string[];
  /** Set when BuildKit could not expand the name: the build stops at this FROM. */
  error?: ExpansionError;
}

/** A word BuildKit would stop the build at: a malformed `${…}`, or `${NAME:?message}` with NAME unset. */
export interface ExpansionProblem {
  ins: Instruction;
  /** The word as written. */
  word: string;
  error: ExpansionError;
}

/** The state one instruction runs in. */
export interface Step {
  ins: Instruction;
  /** ARGs and ENVs in scope when it runs (build args applied). */
  vars: Vars;
  /** The ENV variables alone (they also reach the running container). */
  env: Vars;
  /** Absolute working directory. */
  workdir: string;
  /** The USER in effect (substituted), and the line that set it; undefined: the base image's. */
  user?: { value: string; line: number };
}

export interface Stage {
  index: number;
  /** Lower-cased `AS` name. */
  name?: string;
  from: Instruction;
  base: ImageRef;
  /** The earlier stage this one is built FROM, if it names one. */
  parent?: Stage;
  steps: Step[];
  /** The state after the last instruction, which a child stage starts from. */
  end: Omit<Step, "ins">;
}

export interface BuildModel {
  /** ARGs declared before the first FROM, with their values (build args applied). */
  globalArgs: Vars;
  /** Every ARG declared before the first FROM, with or without a value. */
  globalArgNames: ReadonlySet<string>;
  stages: Stage[];
  /** The stage the build produces: `--target`, or the last one. */
  final?: Stage;
  /** Instructions before the first FROM other than ARG (BuildKit refuses them). */
  beforeFrom: Instruction[];
  /** Words BuildKit would fail to expand, in file order. */
  expansionErrors: ExpansionProblem[];
  /**
   * Build args no ARG in the file declares: the build ignores them (docker
   * warns that they were not consumed). BuildKit's own proxy and `BUILDKIT_`
   * args are never listed.
   */
  unusedBuildArgs: string[];
}

export interface ModelOptions {
  /** `--build-arg NAME=VALUE` values, overriding ARG defaults. */
  buildArgs?: Readonly<Record<string, string>>;
  /** The stage that is built (`--target`); the last one by default. */
  target?: string;
}

/** BuildKit defines these in every FROM; cudaseal assumes a linux/amd64 build. */
const AUTOMATIC_ARGS: Record<string, string> = {
  BUILDPLATFORM: "linux/amd64",
  BUILDOS: "linux",
  BUILDARCH: "amd64",
  TARGETPLATFORM: "linux/amd64",
  TARGETOS: "linux",
  TARGETARCH: "amd64",
};

/** Build args BuildKit takes without an ARG: the proxy variables, its own options, the reproducible-build epoch. */
function predefinedArg(name: string): boolean {
  return (
    /^(http|https|ftp|no|all)_proxy$/i.test(name) ||
    name.startsWith("BUILDKIT_") ||
    name === "SOURCE_DATE_EPOCH"
  );
}

/** Evaluate a parsed Dockerfile's stages and scopes. */
export function buildModel(df: Dockerfile, options: ModelOptions = {}): BuildModel {
  const esc = df.directives.escape;
  const buildArgs = options.buildArgs ?? {};
  const globalArgs = new Map<string, string>();
  const globalArgNames = new Set<string>();
  const beforeFrom: Instruction[] = [];
  const expansionErrors: ExpansionProblem[] = [];
  const expand = (ins: Instruction, word: string, vars: Vars): Expanded => {
    const e = expandWord(word, vars, esc);
    if (e.error !== undefined) expansionErrors.push({ ins, word, error: e.error });
    return e;
  };
  const stages: Stage[] = [];
  let stage: Stage | undefined;
  let state: Omit<Step, "ins"> | undefined;
  let argVars = new Map<string, string>();
  let env = new Map<string, string>();

  for (const ins of df.instructions) {
    if (ins.keyword === "FROM") {
      if (stage && state) stage.end = state;
      const { image, name } = fromArgs(ins, esc);
      const scope = new Map([...Object.entries(AUTOMATIC_ARGS), ...globalArgs]);
      const expanded = expand(ins, image, scope);
      const parent = stages.find((s) => s.name !== undefined && s.name === expanded.value.toLowerCase());
      env = new Map(parent?.end.env ?? []);
      argVars = new Map();
      state = {
        vars: new Map(env),
        env: new Map(env),
        workdir: parent?.end.workdir ?? "/",
        user: parent?.end.user,
      };
      stage = {
        index: stages.length,
        ...(name === undefined ? {} : { name }),
        from: ins,
        base: {
          raw: image,
          name: expanded.value,
          unresolved: expanded.unresolved,
          ...(expanded.error === undefined ? {} : { error: expanded.error }),
        },
        ...(parent === undefined ? {} : { parent }),
        steps: [],
        end: state,
      };
      stages.push(stage);
      continue;
    }
    if (!stage || !state) {
      if (ins.keyword === "ARG") {
        for (const { name, value } of nameValues(ins, esc)) {
          globalArgNames.add(name);
          const v =
            buildArgs[name] ?? (value === undefined ? undefined : expand(ins, value, globalArgs).value);
          if (v !== undefined) globalArgs.set(name, v);
        }
      } else {
        beforeFrom.push(ins);
      }
      continue;
    }
    stage.steps.push({ ins, ...state });
    state = next(ins, state, esc, { argVars, env, globalArgs, buildArgs, expand });
  }
  if (stage && state) stage.end = state;
  const target = options.target?.toLowerCase();
  const final = target === undefined ? stages[stages.length - 1] : stages.find((s) => s.name === target);
  const declared = new Set(
    df.instructions
      .filter((i) => i.keyword === "ARG")
      .flatMap((i) => nameValues(i, esc).map((nv) => nv.name)),
  );
  const unusedBuildArgs = Object.keys(buildArgs).filter((n) => !declared.has(n) && !predefinedArg(n));
  return {
    globalArgs,
    globalArgNames,
    stages,
    ...(final === undefined ? {} : { final }),
    beforeFrom,
    expansionErrors,
    unusedBuildArgs,
  };
}

interface Scope {
  argVars: Map<string, string>;
  env: Map<string, string>;
  globalArgs: Vars;
  buildArgs: Readonly<Record<string, string>>;
  expand: (ins: Instruction, word: string, vars: Vars) => Expanded;
}

// The state after `ins` runs. ENV wins over ARG of the same name, as in BuildKit.
function next(ins: Instruction, state: Omit<Step, "ins">, esc: string, scope: Scope): Omit<Step, "ins"> {
  const vars = () => new Map([...scope.argVars, ...scope.env]);
  const expand = (word: string, scopeVars = state.vars) => scope.expand(ins, word, scopeVars).value;
  switch (ins.keyword) {
    case "ARG":
      for (const { name, value } of nameValues(ins, esc)) {
        const v = scope.buildArgs[name] ?? (value === undefined ? scope.globalArgs.get(name) : expand(value));
        if (v !== undefined) scope.argVars.set(name, v);
        else scope.argVars.delete(name);
      }
      return { ...state, vars: vars() };
    case "ENV":
      for (const { name, value } of nameValues(ins, esc)) scope.env.set(name, expand(value ?? "", vars()));
      return { ...state, vars: vars(), env: new Map(scope.env) };
    case "WORKDIR":
      return { ...state, workdir: resolvePath(state.workdir, expand(ins.args)) };
    case "USER": {
      const word = splitWords(ins.args, esc)[0] ?? "";
      return { ...state, user: { value: expand(word), line: ins.startLine } };
    }
    default:
      // Expanded only to find the words BuildKit would stop at; rules expand what they read themselves.
      for (const word of expandedWords(ins, esc)) expand(word);
      return state;
  }
}

// The other words BuildKit expands: COPY/ADD's paths, --from, --chown and --chmod, LABEL's values, EXPOSE, VOLUME, STOPSIGNAL.
function expandedWords(ins: Instruction, esc: string): string[] {
  switch (ins.keyword) {
    case "COPY":
    case "ADD": {
      const { sources, dest, inline } = copyArgs(ins, esc);
      const flags = ins.flags.filter(
        (f) => ["from", "chown", "chmod"].includes(f.name) && f.value !== undefined,
      );
      return [...(inline ? [] : sources), dest, ...flags.map((f) => f.value as string)];
    }
    case "LABEL":
      return nameValues(ins, esc).flatMap(({ value }) => (value === undefined ? [] : [value]));
    case "EXPOSE":
    case "VOLUME":
    case "STOPSIGNAL":
      return ins.json ?? splitWords(ins.args, esc);
    default:
      return [];
  }
}

/** `path` made absolute against `cwd`, `.` and `..` folded, no trailing slash (except `/`). */
export function resolvePath(cwd: string, path: string): string {
  const parts: string[] = [];
  for (const seg of (path.startsWith("/") ? path : `${cwd}/${path}`).split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") parts.pop();
    else parts.push(seg);
  }
  return `/${parts.join("/")}`;
}
