// Rules on the images a build pulls: FROM, COPY --from=IMAGE and
// RUN --mount=from=IMAGE. A tag is a pointer that its publisher moves; only a
// digest names fixed bytes. And a CUDA `devel` image (compilers, headers,
// static libraries: gigabytes) has no place in the stage that ships.

import type { Stage, Step } from "../build-model.ts";
import { flagValue } from "../dockerfile.ts";
import { at, type Hit, type LintContext, lineage, type Rule } from "../rule.ts";
import { expandWord } from "../substitute.ts";
import { csvFields } from "../words.ts";

export interface ImageName {
  /** Repository, with the registry host if one was written. */
  repository: string;
  tag?: string;
  digest?: string;
}

/** Split `repo[:tag][@digest]`; a `:` before the last `/` is a registry port, not a tag. */
export function parseImageName(name: string): ImageName {
  const at = name.indexOf("@");
  const digest = at < 0 ? undefined : name.slice(at + 1);
  const rest = at < 0 ? name : name.slice(0, at);
  const colon = rest.lastIndexOf(":");
  const tag = colon > rest.lastIndexOf("/") ? rest.slice(colon + 1) : undefined;
  const repository = tag === undefined ? rest : rest.slice(0, colon);
  return { repository, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

interface Pulled {
  /** `FROM`, `COPY --from`, `RUN --mount=from`. */
  via: string;
  name: string;
  line: number;
  endLine: number;
}

/** Every external image the build pulls, substituted; names with unknown variables or that BuildKit cannot expand are left out. */
function pulledImages(ctx: LintContext): Pulled[] {
  const stageNames = new Set(ctx.model.stages.flatMap((s) => (s.name === undefined ? [] : [s.name])));
  const isStage = (ref: string) => stageNames.has(ref.toLowerCase()) || /^\d+$/.test(ref);
  const out: Pulled[] = [];
  for (const stage of ctx.model.stages) {
    const { base, from } = stage;
    const known = base.unresolved.length === 0 && base.error === undefined;
    if (stage.parent === undefined && known && base.name.toLowerCase() !== "scratch") {
      out.push({ via: "FROM", name: base.name, line: from.startLine, endLine: from.endLine });
    }
    for (const step of stage.steps) out.push(...stepImages(step, ctx.escape).filter((p) => !isStage(p.name)));
  }
  return out;
}

function stepImages(step: Step, esc: string): Pulled[] {
  const { ins } = step;
  const refs: { via: string; raw: string }[] = [];
  const from = ins.keyword === "COPY" || ins.keyword === "ADD" ? flagValue(ins, "from") : undefined;
  if (from !== undefined) refs.push({ via: `${ins.keyword} --from`, raw: from });
  if (ins.keyword === "RUN") {
    for (const f of ins.flags) {
      if (f.name !== "mount" || f.value === undefined) continue;
      const mountFrom = csvFields(f.value).get("from");
      if (mountFrom !== undefined) refs.push({ via: "RUN --mount=from", raw: mountFrom });
    }
  }
  return refs.flatMap(({ via, raw }) => {
    const e = expandWord(raw, step.vars, esc);
    if (e.unresolved.length > 0 || e.error !== undefined || e.value === "") return [];
    return [{ via, name: e.value, line: ins.startLine, endLine: ins.endLine }];
  });
}

const REFS_BASE = ["CIS Docker 4.2", "NIST SP 800-190 4.1.5"];

export const baseLatest: Rule = {
  id: "CS-DF-BASE-LATEST",
  severity: "medium",
  title: "An image is used by the 'latest' tag or no tag",
  refs: REFS_BASE,
  fix: "name an exact version tag and pin its digest: IMAGE:TAG@sha256:…",
  check: (ctx) =>
    pulledImages(ctx).flatMap((p): Hit[] => {
      const { tag, digest } = parseImageName(p.name);
      if (digest !== undefined || (tag !== undefined && tag !== "latest")) return [];
      const why = tag === undefined ? "has no tag, so it means 'latest'" : "uses the 'latest' tag";
      return [
        {
          line: p.line,
          endLine: p.endLine,
          message: `${p.via} ${p.name} ${why}: each build may get different bytes`,
        },
      ];
    }),
};

export const baseUnpinned: Rule = {
  id: "CS-DF-BASE-UNPINNED",
  severity: "low",
  title: "An image is not pinned by digest",
  refs: REFS_BASE,
  fix: "append the digest the tag points at today (IMAGE:TAG@sha256:…) and update it on purpose, not by accident",
  check: (ctx) =>
    pulledImages(ctx).flatMap((p): Hit[] => {
      const { tag, digest } = parseImageName(p.name);
      if (digest !== undefined || tag === undefined || tag === "latest") return [];
      return [
        {
          line: p.line,
          endLine: p.endLine,
          message: `${p.via} ${p.name} is not pinned by digest; its publisher can move the tag`,
        },
      ];
    }),
};

/** True for a CUDA development image: `nvidia/cuda:*-devel-*`, `*cudnn*-devel*`, `pytorch:*-cuda*-devel`. */
export function isCudaDevel(name: string): boolean {
  const { repository, tag } = parseImageName(name);
  if (tag === undefined || !/(^|[-_.])devel([-_.]|$)/i.test(tag)) return false;
  return /cuda|cudnn|nvidia|nvcr|pytorch|tensorflow|tritonserver/i.test(`${repository}:${tag}`);
}

export const cudaDevelFinal: Rule = {
  id: "CS-DF-CUDA-DEVEL-FINAL",
  severity: "medium",
  title: "The final stage is built on a CUDA devel image",
  refs: ["CIS Docker 4.3", "NIST SP 800-190 4.1.1"],
  fix: "compile in a devel build stage, then COPY --from it into a stage FROM the matching runtime image (or a cudaseal build)",
  check(ctx) {
    const final = ctx.model.final;
    if (final === undefined) return [];
    const root: Stage = lineage(final)[lineage(final).length - 1];
    if (!isCudaDevel(root.base.name)) return [];
    const runtime = root.base.name.replace(/devel/i, "runtime");
    return [
      at(
        root.from,
        `the shipped image is built on ${root.base.name}: compilers, headers and static libraries add gigabytes and attack surface; ${runtime} likely suffices at run time`,
      ),
    ];
  },
};
