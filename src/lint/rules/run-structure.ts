// Rules on how RUNs are laid out rather than what they run: a pipeline whose
// failures the shell hides, `cd` where WORKDIR says it, and single commands
// each in a RUN (a layer) of their own. From hadolint's DL4006, DL3003 and
// DL3059; docs/lint.md says where cudaseal reads them more narrowly.

import type { Stage } from "../build-model.ts";
import type { Instruction } from "../dockerfile.ts";
import { atRun, type Hit, lineage, type Rule, type RunStep } from "../rule.ts";

// Shells whose `-o pipefail` makes a pipeline fail when any command in it fails.
const PIPEFAIL_SHELLS = new Set(["bash", "zsh", "ksh", "mksh", "ash"]);
const POSIX_SHELLS = new Set([...PIPEFAIL_SHELLS, "sh", "dash"]);
// A pipeline starting with these feeds fixed text; its first command cannot fail in a way that matters.
const TEXT_SOURCES = new Set(["echo", "printf", "cat", "yes", "true"]);

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** The SHELL in effect at a step: the last SHELL before it in its stage, else in the stages it is built FROM. */
function shellAt(run: RunStep): string[] | undefined {
  for (const stage of lineage(run.stage)) {
    const steps = stage === run.stage ? stage.steps.slice(0, stage.steps.indexOf(run.step)) : stage.steps;
    const shell = [...steps].reverse().find((s) => s.ins.keyword === "SHELL" && s.ins.json !== undefined);
    if (shell?.ins.json) return shell.ins.json;
  }
  return undefined;
}

// True when the shell runs pipelines with pipefail: SHELL ["/bin/bash", "-o", "pipefail", "-c"], or
// the RUN sets it itself (`set -eo pipefail; …`) before its first pipe.
function hasPipefail(run: RunStep, shell: string[] | undefined, firstPipe: number): boolean {
  const name = basename(shell?.[0] ?? "/bin/sh");
  if (
    PIPEFAIL_SHELLS.has(name) &&
    shell?.some((a, i) => a === "pipefail" && /^-\w*o$/.test(shell[i - 1] ?? ""))
  )
    return true;
  return run.commands.some(
    ({ call, pipeline }) =>
      pipeline < firstPipe &&
      call.name === "set" &&
      call.args.some((a, i) => a === "pipefail" && /^[-+]\w*o$/.test(call.args[i - 1] ?? "")),
  );
}

export const pipefail: Rule = {
  id: "CS-DF-PIPEFAIL",
  severity: "low",
  title: "A RUN pipeline hides the failure of its first commands",
  refs: [],
  fix: 'SHELL ["/bin/bash", "-o", "pipefail", "-c"] before the RUN (or set -o pipefail in it), so a failed download fails the build',
  check: (ctx) =>
    ctx.runs.flatMap((run): Hit[] => {
      if (run.step.ins.json !== undefined) return [];
      const shell = shellAt(run);
      // PowerShell and cmd.exe have no pipefail; their pipes are not sh's.
      if (shell !== undefined && !POSIX_SHELLS.has(basename(shell[0] ?? ""))) return [];
      const piped = run.commands.find(
        (c) => c.position > 0 && !TEXT_SOURCES.has(firstOf(run, c.pipeline) ?? ""),
      );
      if (piped === undefined || hasPipefail(run, shell, piped.pipeline)) return [];
      const source = firstOf(run, piped.pipeline);
      return [
        atRun(
          run,
          `${source} | ${piped.call.name}: /bin/sh takes the pipeline's status from its last command, so a failed ${source} goes unnoticed`,
        ),
      ];
    }),
};

function firstOf(run: RunStep, pipeline: number): string | undefined {
  return run.commands.find((c) => c.pipeline === pipeline && c.position === 0)?.call.name;
}

export const runCd: Rule = {
  id: "CS-DF-RUN-CD",
  severity: "info",
  title: "RUN starts with cd where WORKDIR says it",
  refs: [],
  fix: "WORKDIR DIR before the RUN; it also holds for the RUNs, COPYs and CMD after it",
  check: (ctx) =>
    ctx.runs.flatMap((run): Hit[] => {
      const first = run.commands[0];
      if (first === undefined || first.call.name !== "cd" || first.call.args[0] === undefined) return [];
      return [
        atRun(
          run,
          `RUN cd ${first.call.args[0]} … changes directory for this RUN only; WORKDIR says it once`,
        ),
      ];
    }),
};

/** The instruction's flags as written, to tell RUNs with different mounts apart. */
function flagsText(ins: Instruction): string {
  return ins.flags.map((f) => `--${f.name}=${f.value ?? ""}`).join(" ");
}

export const runConsecutive: Rule = {
  id: "CS-DF-RUN-CONSECUTIVE",
  severity: "info",
  title: "Consecutive RUNs of one command each",
  refs: [],
  fix: "join them with && in one RUN: one layer, and what a later command deletes never reaches a layer",
  check: (ctx) =>
    ctx.model.stages.flatMap((stage: Stage) => {
      const runs = new Map(ctx.runs.filter((r) => r.stage === stage && !r.onbuild).map((r) => [r.step, r]));
      const hits: Hit[] = [];
      for (let i = 1; i < stage.steps.length; i++) {
        const prev = runs.get(stage.steps[i - 1]);
        const run = runs.get(stage.steps[i]);
        if (prev === undefined || run === undefined) continue;
        // A chained RUN was split on purpose (hadolint's DL3059 reads it the same way).
        if (prev.commands.length > 1 || run.commands.length > 1) continue;
        if (flagsText(prev.step.ins) !== flagsText(run.step.ins)) continue;
        if (prev.step.ins.heredocs.length > 0 || run.step.ins.heredocs.length > 0) continue;
        hits.push(
          atRun(run, `RUN on line ${prev.step.ins.startLine} and this one each make a layer for one command`),
        );
      }
      return hits;
    }),
};
