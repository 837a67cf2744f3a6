// Rules on who the container runs as: the final stage must end on a non-root
// USER, and files copied for a non-root user are still owned by root.

import type { Step } from "../build-model.ts";
import { flagValue } from "../dockerfile.ts";
import { copyArgs } from "../instruction-args.ts";
import { at, type Hit, lineage, type Rule } from "../rule.ts";
import { expandWord } from "../substitute.ts";

/** True when a USER value (`root`, `0`, `0:0`, `root:app`) is uid 0. */
export function isRootUser(value: string): boolean {
  const user = value.split(":")[0].trim();
  return user === "root" || /^0+$/.test(user);
}

const REFS_USER = ["CIS Docker 4.1", "NIST SP 800-190 4.4.3"];

export const userRoot: Rule = {
  id: "CS-DF-USER-ROOT",
  severity: "high",
  title: "The final stage runs as root",
  refs: REFS_USER,
  fix: "create an unprivileged user (RUN useradd -r -u 10001 app) and end the final stage with USER 10001",
  check(ctx) {
    const user = ctx.model.final?.end.user;
    if (user === undefined || !isRootUser(user.value)) return [];
    return [{ line: user.line, endLine: user.line, message: `the image runs as '${user.value}' (uid 0)` }];
  },
};

export const userMissing: Rule = {
  id: "CS-DF-USER-MISSING",
  severity: "medium",
  title: "The final stage never sets USER",
  refs: REFS_USER,
  fix: "add USER with a non-root uid at the end of the final stage (USER 65532 or a user you create)",
  check(ctx) {
    const final = ctx.model.final;
    if (final === undefined || final.end.user !== undefined) return [];
    const base = lineage(final)[lineage(final).length - 1].base.name;
    // Bases published to run as non-root say so in the name (distroless `:nonroot`, `-nonroot`).
    if (/nonroot/i.test(base)) return [];
    return [
      at(
        final.from,
        `the final stage (FROM ${base || final.base.raw}) has no USER, so it runs as the base image's user, root for most bases`,
      ),
    ];
  },
};

// Programs and libraries under these belong to root; only app data needs the app's owner.
const SYSTEM_DIRS = /^\/(usr|bin|sbin|lib|lib32|lib64|libx32|etc|opt|var\/lib)(\/|$)/;

export const copyChown: Rule = {
  id: "CS-DF-COPY-CHOWN",
  severity: "info",
  title: "Files copied for a non-root user stay owned by root",
  refs: [],
  fix: "add --chown=USER:GROUP if the app must write these files; leave them root-owned if it only reads them",
  check(ctx) {
    const final = ctx.model.final;
    if (final === undefined) return [];
    const hits: Hit[] = [];
    for (const stage of lineage(final)) {
      for (const step of stage.steps) {
        if (!needsChown(step, ctx.escape)) continue;
        hits.push(
          at(
            step.ins,
            `${step.ins.keyword} after USER ${step.user?.value} writes files owned by root:root, which that user cannot change`,
          ),
        );
      }
    }
    return hits;
  },
};

function needsChown(step: Step, esc: string): boolean {
  const { ins, user } = step;
  if (ins.keyword !== "COPY" && ins.keyword !== "ADD") return false;
  if (user === undefined || isRootUser(user.value) || user.value === "") return false;
  if (flagValue(ins, "chown") !== undefined) return false;
  const dest = expandWord(copyArgs(ins, esc).dest, step.vars, esc).value;
  const abs = dest.startsWith("/") ? dest : `${step.workdir}/${dest}`;
  return !SYSTEM_DIRS.test(abs);
}
