// The build a Dockerfile describes, as BuildKit would evaluate it: global
// ARGs (those before the first FROM, visible only to FROM lines), stages with
// their base image expanded, and for every instruction the state it runs in
// (variables in scope, WORKDIR, USER). A stage built FROM an earlier stage
// inherits its ENV, WORKDIR and USER, but not its ARGs.
//
// Rules read this model instead of re-walking the instructions, so scoping
// is decided in one place.

import type { Dockerfile, Instruction } from "./dockerfile.ts";
import { fromArgs, nameValues } from "./instruction-args.ts";
import { expandWord, type Vars } from "./substitute.ts";
import { splitWords } from "./words.ts";

/** An image named by FROM, COPY --from or RUN --mount=from, after substitution. */
export interface ImageRef {
  /** As written: `nvidia/cuda:${CUDA}-devel-ubuntu22.04`. */
  raw: string;
  /** Substituted: `nvidia/cuda:12.4.1-devel-ubuntu22.04`. */
  name: string;
  /** Variables with no value (the name is then not the real one). */
  unresolved: string[];
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
  stages: Stage[];
  /** The stage the build produces: `--target`, or the last one. */
  final?: Stage;
  /** Instructions before the first FROM other than ARG (BuildKit refuses them). */
  beforeFrom: Instruction[];
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

/** Evaluate a parsed Dockerfile's stages and scopes. */
export function buildModel(df: Dockerfile, options: ModelOptions = {}): BuildModel {
  const esc = df.directives.escape;
  const buildArgs = options.buildArgs ?? {};
  const globalArgs = new Map<string, string>();
  const beforeFrom: Instruction[] = [];
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
      const expanded = expandWord(image, scope, esc);
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
        base: { raw: image, name: expanded.value, unresolved: expanded.unresolved },
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
          const v =
            buildArgs[name] ?? (value === undefined ? undefined : expandWord(value, globalArgs, esc).value);
          if (v !== undefined) globalArgs.set(name, v);
        }
      } else {
        beforeFrom.push(ins);
      }
      continue;
    }
    stage.steps.push({ ins, ...state });
    state = next(ins, state, esc, { argVars, env, globalArgs, buildArgs });
  }
  if (stage && state) stage.end = state;
  const target = options.target?.toLowerCase();
  const final = target === undefined ? stages[stages.length - 1] : stages.find((s) => s.name === target);
  return { globalArgs, stages, ...(final === undefined ? {} : { final }), beforeFrom };
}

interface Scope {
  argVars: Map<string, string>;
  env: Map<string, string>;
  globalArgs: Vars;
  buildArgs: Readonly<Record<string, string>>;
}

// The state after `ins` runs. ENV wins over ARG of the same name, as in BuildKit.
function next(ins: Instruction, state: Omit<Step, "ins">, esc: string, scope: Scope): Omit<Step, "ins"> {
  const vars = () => new Map([...scope.argVars, ...scope.env]);
  switch (ins.keyword) {
    case "ARG":
      for (const { name, value } of nameValues(ins, esc)) {
        const v =
          scope.buildArgs[name] ??
          (value === undefined ? scope.globalArgs.get(name) : expandWord(value, state.vars, esc).value);
        if (v !== undefined) scope.argVars.set(name, v);
        else scope.argVars.delete(name);
      }
      return { ...state, vars: vars() };
    case "ENV":
      for (const { name, value } of nameValues(ins, esc)) {
        scope.env.set(name, expandWord(value ?? "", vars(), esc).value);
      }
      return { ...state, vars: vars(), env: new Map(scope.env) };
    case "WORKDIR": {
      const dir = expandWord(ins.args, state.vars, esc).value;
      return { ...state, workdir: resolvePath(state.workdir, dir) };
    }
    case "USER": {
      const word = splitWords(ins.args, esc)[0] ?? "";
      return { ...state, user: { value: expandWord(word, state.vars, esc).value, line: ins.startLine } };
    }
    default:
      return state;
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
