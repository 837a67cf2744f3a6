// Rules on ADD: fetching a URL at build time without a checksum, and ADD
// used where COPY would do (ADD also unpacks archives and fetches URLs, so
// using it for plain files hides which behaviour was meant).

import { flagValue } from "../dockerfile.ts";
import { copyArgs } from "../instruction-args.ts";
import { at, type Hit, type Rule } from "../rule.ts";
import { unquote } from "../words.ts";

const URL = /^(https?|ftp):\/\//i;
const GIT = /^(git@|git:\/\/)|\.git(#.*)?$/i;
// ADD unpacks by content, not by name: a `.gz` may well be a tarball (hadolint reads it the same way).
const ARCHIVE = /\.(tar|tgz|tbz2?|txz|tzst|gz|bz2|xz|zst|lz4)$/i;

function addSources(ctx: Parameters<Rule["check"]>[0]) {
  return ctx.dockerfile.instructions
    .filter((ins) => ins.keyword === "ADD")
    .map((ins) => ({
      ins,
      sources: copyArgs(ins, ctx.escape).sources.map((s) => (ins.json ? s : unquote(s, ctx.escape))),
    }));
}

export const addUrl: Rule = {
  id: "CS-DF-ADD-URL",
  severity: "medium",
  title: "ADD fetches a URL without a checksum",
  refs: ["CIS Docker 4.9", "NIST SP 800-190 4.1.3"],
  fix: "ADD --checksum=sha256:… URL DEST, or RUN curl -fsSLo FILE URL && echo 'SUM  FILE' | sha256sum -c -",
  check: (ctx) =>
    addSources(ctx).flatMap(({ ins, sources }): Hit[] => {
      if (flagValue(ins, "checksum") !== undefined) return [];
      const remote = sources.find((s) => URL.test(s) || GIT.test(s));
      if (remote === undefined) return [];
      return [at(ins, `ADD ${remote} takes whatever the server returns at build time, unverified`)];
    }),
};

export const addLocal: Rule = {
  id: "CS-DF-ADD-LOCAL",
  severity: "low",
  title: "ADD used where COPY would do",
  refs: ["CIS Docker 4.9"],
  fix: "use COPY for local files; keep ADD for unpacking a local tar archive",
  check: (ctx) =>
    addSources(ctx).flatMap(({ ins, sources }): Hit[] => {
      if (ins.heredocs.length > 0) return [];
      if (sources.length === 0 || sources.some((s) => URL.test(s) || GIT.test(s) || ARCHIVE.test(s)))
        return [];
      return [at(ins, `ADD ${sources.join(" ")} copies local files; COPY says so plainly`)];
    }),
};
