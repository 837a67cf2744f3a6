// Rules on variable expansion: the words BuildKit would stop the build at
// (a malformed `${…}`, `${NAME:?message}` with NAME unset), and a base
// image the linter cannot name because a variable in FROM has no value,
// which would otherwise leave the base-image rules silently unchecked.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: messages spell ${VAR} as Dockerfiles do

import type { Stage } from "../build-model.ts";
import { at, type Hit, type LintContext, type Rule } from "../rule.ts";

export const badSubstitution: Rule = {
  id: "CS-DF-BAD-SUBSTITUTION",
  severity: "high",
  title: "A variable expression BuildKit cannot read",
  refs: [],
  fix: "write ${NAME}, ${NAME:-default}, ${NAME:+alt}, ${NAME:?message}, ${NAME#pattern}, ${NAME%pattern} or ${NAME/pattern/replacement}; close every brace and quote",
  check: (ctx) =>
    ctx.model.expansionErrors
      .filter((p) => p.error.kind === "syntax")
      .map((p) => at(p.ins, `${p.word}: ${p.error.message}; the build stops at this ${p.ins.keyword}`)),
};

export const varRequired: Rule = {
  id: "CS-DF-VAR-REQUIRED",
  severity: "medium",
  title: "A variable required by ${NAME:?message} has no value",
  refs: [],
  fix: "pass the value as the build will (--build-arg NAME=VALUE, here and to the build), or give the ARG a default",
  check: (ctx) =>
    ctx.model.expansionErrors.flatMap((p): Hit[] => {
      if (p.error.kind !== "required") return [];
      const name = p.error.name ?? "";
      return [
        {
          ...at(p.ins, `${p.word}: the build stops with "${p.error.message}"`),
          fix: `pass --build-arg ${name}=… (as the build must), or give ARG ${name} a default`,
        },
      ];
    }),
};

export const baseUnknown: Rule = {
  id: "CS-DF-BASE-UNKNOWN",
  severity: "info",
  title: "The base image depends on a variable with no value",
  refs: [],
  fix: "lint with the values the build gets: --build-arg NAME=VALUE",
  check: (ctx) => ctx.model.stages.flatMap((stage) => unknownBase(ctx, stage)),
};

// A FROM whose image names a variable that has no value (and no other rule
// already reports the line): the image rules cannot judge ":12.8.1-devel".
function unknownBase(ctx: LintContext, stage: Stage): Hit[] {
  const { base, from } = stage;
  if (stage.parent !== undefined || base.unresolved.length === 0 || base.error !== undefined) return [];
  const undeclared = base.unresolved.filter((n) => !ctx.model.globalArgNames.has(n));
  const withValues = base.unresolved.map((n) => `--build-arg ${n}=…`).join(" ");
  if (undeclared.length > 0) {
    const names = undeclared.map((n) => `$${n}`).join(", ");
    return [
      {
        ...at(
          from,
          `FROM ${base.raw}: ${names} ${undeclared.length === 1 ? "is" : "are"} not declared by an ARG before the first FROM, so BuildKit expands ${undeclared.length === 1 ? "it" : "them"} to "" (the image becomes "${base.name}")`,
        ),
        severity: "low",
        fix: `declare ${undeclared.map((n) => `ARG ${n}`).join(", ")} before the first FROM (a FROM sees only those), then lint with ${withValues}`,
      },
    ];
  }
  const names = base.unresolved.map((n) => `ARG ${n}`).join(", ");
  return [
    {
      ...at(
        from,
        `FROM ${base.raw}: ${names} ${base.unresolved.length === 1 ? "has" : "have"} no default, so the base image is known only at build time and the base-image rules (tag, digest, CUDA devel in the shipped stage) did not check it`,
      ),
      fix: `lint with the value${base.unresolved.length === 1 ? "" : "s"} the build gets: ${withValues}`,
    },
  ];
}
