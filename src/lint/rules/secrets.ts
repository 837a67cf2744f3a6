// Rules on secrets baked into an image: credential files copied in, build
// args and ENV named like secrets, and literal tokens anywhere in the file.
// Every message names a secret by its first characters only (redact).

import { redact } from "../../findings/index.ts";
import type { Instruction } from "../dockerfile.ts";
import { copyArgs, nameValues } from "../instruction-args.ts";
import { at, type Hit, lineage, type Rule } from "../rule.ts";
import {
  findTokens,
  isHarmlessValue,
  isSecretName,
  isSwitchValue,
  secretFileReason,
} from "../secret-patterns.ts";
import { unquote } from "../words.ts";

const REFS_SECRETS = ["CIS Docker 4.10", "NIST SP 800-190 4.1.4"];
const USE_SECRET_MOUNT =
  "pass it with RUN --mount=type=secret,id=NAME (read from /run/secrets/NAME) or at run time; never bake it into a layer";

export const secretFile: Rule = {
  id: "CS-DF-SECRET-FILE",
  severity: "high",
  title: "A file that looks like a secret is copied into the image",
  refs: REFS_SECRETS,
  fix: `do not copy credentials; ${USE_SECRET_MOUNT}, and list such files in .dockerignore`,
  check(ctx) {
    const final = new Set(ctx.model.final ? lineage(ctx.model.final) : []);
    const hits: Hit[] = [];
    for (const stage of ctx.model.stages) {
      for (const { ins } of stage.steps) {
        if (ins.keyword !== "COPY" && ins.keyword !== "ADD") continue;
        const { sources, dest, inline } = copyArgs(ins, ctx.escape);
        const paths = inline ? [dest] : [...sources, dest];
        for (const raw of paths) {
          const path = ins.json ? raw : unquote(raw, ctx.escape);
          const reason = secretFileReason(path);
          if (reason === undefined) continue;
          const where = final.has(stage)
            ? "the image"
            : `stage ${stage.name ?? stage.index} (and the build cache)`;
          hits.push({
            ...at(ins, `${ins.keyword} puts ${path} into ${where}: ${reason}`),
            ...(final.has(stage) ? {} : { severity: "medium" as const }),
          });
          break;
        }
      }
    }
    return hits;
  },
};

export const secretArg: Rule = {
  id: "CS-DF-SECRET-ARG",
  severity: "high",
  title: "A build argument named like a secret",
  refs: REFS_SECRETS,
  fix: `build-arg values are kept in the image history and build provenance; ${USE_SECRET_MOUNT}`,
  check(ctx) {
    return ctx.dockerfile.instructions
      .filter((ins) => ins.keyword === "ARG")
      .flatMap((ins) =>
        nameValues(ins, ctx.escape)
          // With no default, an empty one or a placeholder, the secret comes with --build-arg; a
          // boolean or number default (`SCCACHE_S3_NO_CREDENTIALS=0`) says the ARG is a switch.
          .filter(
            (nv) =>
              isSecretName(nv.name) &&
              (nv.value === undefined || !isSwitchValue(unquote(nv.value, ctx.escape))),
          )
          .map((nv) => at(ins, `ARG ${nv.name} carries a secret into the build, where the history keeps it`)),
      );
  },
};

export const secretEnv: Rule = {
  id: "CS-DF-SECRET-ENV",
  severity: "high",
  title: "An ENV named like a secret is baked into the image",
  refs: REFS_SECRETS,
  fix: `ENV values are stored in the image config for anyone who pulls it; ${USE_SECRET_MOUNT}`,
  check(ctx) {
    return ctx.dockerfile.instructions
      .filter((ins) => ins.keyword === "ENV")
      .flatMap((ins) =>
        nameValues(ins, ctx.escape)
          .filter((nv) => isSecretName(nv.name) && !isHarmlessValue(unquote(nv.value ?? "", ctx.escape)))
          .map((nv) => at(ins, `ENV ${nv.name} stores a secret in the image config`)),
      );
  },
};

export const secretValue: Rule = {
  id: "CS-DF-SECRET-VALUE",
  severity: "critical",
  title: "A literal token or private key in the Dockerfile",
  refs: REFS_SECRETS,
  fix: `revoke the token now (it is in the repository's history too), then ${USE_SECRET_MOUNT}`,
  check(ctx) {
    const hits: Hit[] = [];
    for (const ins of ctx.dockerfile.instructions) {
      // Its trigger is in the list on its own (lintContext), and checked there.
      if (ins.trigger !== undefined) continue;
      const seen = new Set<string>();
      for (const token of findTokens(instructionText(ins))) {
        if (seen.has(token.text)) continue;
        seen.add(token.text);
        hits.push(at(ins, `${ins.keyword} holds a ${token.kind} (${redact(token.text)})`));
      }
    }
    return hits;
  },
};

function instructionText(ins: Instruction): string {
  const flags = ins.flags.map((f) => `--${f.name}=${f.value ?? ""}`);
  return [...flags, ins.args, ...ins.heredocs.map((h) => h.body)].join("\n");
}
