// What a lint rule is: fixed facts (id, default severity, title, the
// guidance it comes from, the usual fix) and a pure check over the parsed
// file and its build model, returning hits at lines. lint.ts turns hits into
// the shared Finding shape, so rules never build findings or print.

import type { Severity } from "../findings/index.ts";
import type { BuildModel, Stage, Step } from "./build-model.ts";
import { type Dockerfile, flagValues } from "./dockerfile.ts";
import { type Invocation, invocation, runScript, type ShellCommand, shellCommands } from "./shell-script.ts";
import { csvFields } from "./words.ts";

/** One place a rule is broken. */
export interface Hit {
  line: number;
  endLine: number;
  message: string;
  /** When this hit is worse or milder than the rule's default. */
  severity?: Severity;
  /** When this hit needs a more specific fix than the rule's. */
  fix?: string;
}

export interface Rule {
  /** `CS-DF-` and upper-case words. */
  id: string;
  severity: Severity;
  title: string;
  refs: string[];
  fix: string;
  check(ctx: LintContext): Hit[];
}

/** A `RUN --mount=…`. */
export interface Mount {
  type: string;
  target?: string;
  from?: string;
}

/** A RUN with what it executes, worked out once for all rules. */
export interface RunStep {
  stage: Stage;
  step: Step;
  /** The shell text run (heredoc scripts included). */
  script: string;
  commands: (ShellCommand & { call: Invocation })[];
  mounts: Mount[];
  /** An `ONBUILD RUN`: it runs in the images built FROM this one, not in this build. */
  onbuild: boolean;
}

export interface LintContext {
  /** The file, with each ONBUILD's trigger listed after it as an instruction of its own. */
  dockerfile: Dockerfile;
  model: BuildModel;
  escape: string;
  runs: RunStep[];
}

/**
 * The context rules share. An ONBUILD's trigger (`ONBUILD RUN curl … | sh`)
 * runs in every image built FROM this one, so rules see it as an instruction
 * of its own right after the ONBUILD (same lines, same state), in the file's
 * instructions and in its stage's steps; its RunStep says `onbuild`.
 */
export function lintContext(dockerfile: Dockerfile, built: BuildModel): LintContext {
  const triggers = new Set(dockerfile.instructions.flatMap((ins) => (ins.trigger ? [ins.trigger] : [])));
  const model = withTriggers(built);
  const runs: RunStep[] = [];
  for (const stage of model.stages) {
    for (const step of stage.steps) {
      if (step.ins.keyword !== "RUN") continue;
      const script = runScript(step.ins);
      const commands = shellCommands(script).flatMap((c) => {
        const call = invocation(c.words);
        return call === undefined ? [] : [{ ...c, call }];
      });
      const mounts = flagValues(step.ins, "mount").map((v) => {
        const f = csvFields(v);
        const target = f.get("target") ?? f.get("dst") ?? f.get("destination");
        const from = f.get("from");
        return {
          type: f.get("type") || "bind",
          ...(target === undefined ? {} : { target }),
          ...(from === undefined ? {} : { from }),
        };
      });
      runs.push({ stage, step, script, commands, mounts, onbuild: triggers.has(step.ins) });
    }
  }
  const instructions = dockerfile.instructions.flatMap((ins) => (ins.trigger ? [ins, ins.trigger] : [ins]));
  return { dockerfile: { ...dockerfile, instructions }, model, escape: dockerfile.directives.escape, runs };
}

// The model with each ONBUILD step followed by a step for its trigger; stages are copied, not changed.
function withTriggers(model: BuildModel): BuildModel {
  const copies = new Map<Stage, Stage>();
  for (const stage of model.stages) {
    const steps = stage.steps.flatMap((step) =>
      step.ins.trigger ? [step, { ...step, ins: step.ins.trigger }] : [step],
    );
    const parent = stage.parent === undefined ? undefined : copies.get(stage.parent);
    copies.set(stage, { ...stage, steps, ...(parent === undefined ? {} : { parent }) });
  }
  const final = model.final === undefined ? undefined : copies.get(model.final);
  return { ...model, stages: [...copies.values()], ...(final === undefined ? {} : { final }) };
}

/** True when what a stage writes ends up in the image: it is the final stage or one it is built FROM. */
export function reachesFinal(ctx: LintContext, stage: Stage): boolean {
  return ctx.model.final !== undefined && lineage(ctx.model.final).includes(stage);
}

/** A hit spanning one instruction. */
export function at(ins: { startLine: number; endLine: number }, message: string): Hit {
  return { line: ins.startLine, endLine: ins.endLine, message };
}

/** A hit spanning one RUN. */
export function atRun(run: RunStep, message: string): Hit {
  return at(run.step.ins, message);
}

/** The stage and the stages it is built FROM, nearest first. */
export function lineage(stage: Stage): Stage[] {
  const chain: Stage[] = [];
  for (let s: Stage | undefined = stage; s; s = s.parent) chain.push(s);
  return chain;
}
