// Rules on files an earlier COPY/ADD put into a layer and a later RUN
// deletes. Layers only add: the deletion hides the file in the final
// filesystem, but its bytes stay in the earlier layer for anyone who pulls
// the image (`docker save`, then untar the layer). For a secret that is a
// leak; for anything else it is wasted size.

import { resolvePath, type Stage } from "../build-model.ts";
import { copyArgs } from "../instruction-args.ts";
import type { Hit, LintContext, Rule, RunStep } from "../rule.ts";
import { secretFileReason } from "../secret-patterns.ts";
import { expandWord } from "../substitute.ts";
import { unquote } from "../words.ts";

/** A path a COPY/ADD wrote. */
interface Added {
  path: string;
  /** The COPY/ADD, for the message. */
  keyword: string;
  line: number;
  /** Why it looks like a secret, if it does. */
  secret?: string;
}

interface Deletion {
  run: RunStep;
  removed: string;
  added: Added;
}

/** Every `rm` in a RUN of a path some earlier COPY/ADD in the stage (or a stage it builds on) wrote. */
function deletions(ctx: LintContext): Deletion[] {
  const addedBy = new Map<Stage, Added[]>();
  const found: Deletion[] = [];
  for (const stage of ctx.model.stages) {
    const added: Added[] = [...(stage.parent ? (addedBy.get(stage.parent) ?? []) : [])];
    addedBy.set(stage, added);
    const runs = new Map(ctx.runs.filter((r) => r.stage === stage).map((r) => [r.step, r]));
    for (const step of stage.steps) {
      const { ins } = step;
      if (ins.keyword === "COPY" || ins.keyword === "ADD") {
        added.push(...addedPaths(step.ins, step.vars, step.workdir, ctx.escape));
        continue;
      }
      const run = runs.get(step);
      if (run === undefined) continue;
      let cwd = step.workdir;
      for (const { call } of run.commands) {
        if (call.name === "cd" && call.args[0] !== undefined) {
          cwd = resolvePath(cwd, expandWord(call.args[0], step.vars).value);
          continue;
        }
        if (call.name !== "rm") continue;
        let options = true;
        for (const arg of call.args) {
          if (options && arg === "--") {
            options = false;
            continue;
          }
          if (options && arg.startsWith("-")) continue;
          const removed = resolvePath(cwd, expandWord(arg, step.vars).value);
          // A secret is matched first; inside a copied secret directory (.aws/) counts too. A
          // plain directory is not: what is removed under it may be what this RUN built.
          const removes = remover(removed);
          const match =
            added.find((a) => a.secret !== undefined && (removes(a.path) || remover(a.path)(removed))) ??
            added.find((a) => removes(a.path));
          if (match) found.push({ run, removed, added: match });
        }
      }
    }
  }
  return found;
}

function addedPaths(
  ins: LintContext["dockerfile"]["instructions"][number],
  vars: ReadonlyMap<string, string>,
  workdir: string,
  esc: string,
): Added[] {
  const { sources, dest, inline } = copyArgs(ins, esc);
  const destText = ins.json ? dest : expandWord(dest, vars, esc).value;
  const target = resolvePath(workdir, destText);
  const names = inline
    ? ins.heredocs.map((h) => h.name)
    : sources.map((s) => (ins.json ? s : unquote(s, esc)));
  const intoDir = destText.endsWith("/") || names.length > 1;
  const out: Added[] = [];
  for (const name of names) {
    const base = name.replace(/\/+$/, "").split("/").pop() ?? "";
    const path = intoDir && base !== "" && base !== "." && !/[*?[]/.test(base) ? `${target}/${base}` : target;
    // The root is no evidence: `COPY rootfs/ /` does not make every later rm a deletion of it.
    if (path === "/") continue;
    const secret = inline ? secretFileReason(path) : (secretFileReason(name) ?? secretFileReason(path));
    out.push({
      path,
      keyword: ins.keyword,
      line: ins.startLine,
      ...(secret === undefined ? {} : { secret }),
    });
  }
  return out;
}

/** Whether removing `removed` (a path or a glob) removes a given path: the path itself or one of its parents. */
function remover(removed: string): (path: string) => boolean {
  if (removed === "/") return () => false;
  if (!/[*?[]/.test(removed)) return (path) => path === removed || path.startsWith(`${removed}/`);
  const re = globRegex(removed);
  return (path) => {
    const parts = path.split("/");
    for (let n = parts.length; n > 1; n--) if (re.test(parts.slice(0, n).join("/"))) return true;
    return false;
  };
}

function globRegex(glob: string): RegExp {
  let re = "";
  for (const ch of glob) {
    if (ch === "*") re += "[^/]*";
    else if (ch === "?") re += "[^/]";
    else re += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

function hit(d: Deletion, secret: boolean): Hit {
  const { ins } = d.run.step;
  const what = secret ? `${d.added.path} (${d.added.secret})` : d.added.path;
  return {
    line: ins.startLine,
    endLine: ins.endLine,
    message: `rm ${d.removed} deletes ${what}, but ${d.added.keyword} on line ${d.added.line} already stored it in a layer, where it stays`,
  };
}

export const secretDeleted: Rule = {
  id: "CS-DF-SECRET-DELETED",
  severity: "high",
  title: "A secret file is deleted in a later layer but stays in the earlier one",
  refs: ["CIS Docker 4.10", "NIST SP 800-190 4.1.4"],
  fix: "never COPY the secret: use RUN --mount=type=secret,id=NAME in the RUN that needs it, then rotate the leaked secret",
  check: (ctx) =>
    deletions(ctx)
      .filter((d) => d.added.secret !== undefined)
      .map((d) => hit(d, true)),
};

export const deletedLater: Rule = {
  id: "CS-DF-DELETED-LATER",
  severity: "low",
  title: "A copied file is deleted in a later layer, so it still takes space",
  refs: [],
  fix: "do not copy it (narrow the COPY or add it to .dockerignore), or delete it in a build stage and COPY --from the result",
  check: (ctx) =>
    deletions(ctx)
      .filter((d) => d.added.secret === undefined)
      .map((d) => hit(d, false)),
};
