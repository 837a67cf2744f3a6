// The build's failures from the link check's findings: one error naming
// every file and what it misses (and, when the caller can tell, a package
// that would provide it), and one for sonames two packages both provide.

import { CudasealError } from "../errors.ts";
import type { LinkProblem, SonameConflict } from "./link-check.ts";

/** Lines listed in a message, at most; the rest are counted, and all are in details. */
const MAX_LINES = 20;

/** A package that would provide what a problem misses, if the caller knows one. */
export type ProviderOf = (problem: LinkProblem) => string | undefined;

const WHAT: Record<LinkProblem["kind"], string> = {
  needed: "needs",
  loader: "names the loader",
  interpreter: "names the interpreter",
};

function listed(lines: string[]): string {
  const shown = lines.slice(0, MAX_LINES);
  if (lines.length > MAX_LINES) shown.push(`… and ${lines.length - MAX_LINES} more`);
  return shown.map((l) => `  ${l}`).join("\n");
}

/** LINK_UNRESOLVED for the problems (call it only when there are some). */
export function linkError(problems: readonly LinkProblem[], providerOf?: ProviderOf): CudasealError {
  const providers = problems.map((p) => providerOf?.(p));
  const lines = problems.map((p, i) => {
    const from = p.owner ? ` (from ${p.owner})` : "";
    const fix = providers[i] ? `; package ${providers[i]} provides it` : "";
    return `/${p.path}${from} ${WHAT[p.kind]} ${p.missing}, which is not in the image${fix}`;
  });
  const packages = [...new Set(providers.filter((p): p is string => p !== undefined))];
  const names = [...new Set(problems.map((p) => p.missing))];
  const add =
    packages.length > 0
      ? `add ${packages.join(", ")} to the spec's packages`
      : "add the package that provides it to the spec's packages";
  return new CudasealError(
    "LINK_UNRESOLVED",
    `${problems.length} unresolved ${problems.length === 1 ? "dependency" : "dependencies"} in the image:\n${listed(lines)}`,
    {
      hint: `${add}, or, if the file is never run or the library comes from elsewhere at run time, waive it with allow.unresolved: [${names
        .slice(0, 5)
        .map((n) => JSON.stringify(n))
        .join(", ")}]`,
      details: { problems: problems.map((p, i) => ({ ...p, provider: providers[i] })) },
    },
  );
}

/** LINK_SONAME_CONFLICT for sonames provided by files of different packages. */
export function sonameConflictError(conflicts: readonly SonameConflict[]): CudasealError {
  const lines = conflicts.map(
    (c) => `${c.soname}: ${c.files.map((f) => `/${f.path}${f.owner ? ` (${f.owner})` : ""}`).join(", ")}`,
  );
  return new CudasealError(
    "LINK_SONAME_CONFLICT",
    `${conflicts.length === 1 ? "a soname is" : `${conflicts.length} sonames are`} provided by more than one package:\n${listed(lines)}`,
    {
      hint: "keep one of the packages, or exclude the other's copy with the spec's excludes, so the loader finds one library per soname; allow.unresolved with the soname accepts both (the cache's directory order then decides)",
      details: { conflicts },
    },
  );
}
