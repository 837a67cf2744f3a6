// What the user asks the resolver for, and how each piece is read:
// package specs (`name`, `name=version`, `name (>= 1.0)`, `name:arch`) and
// the name patterns of the `provided` and `excludes` lists.

import { parseRelation } from "../apt/relations.ts";
import type { DebArch, Relation } from "../apt/types.ts";
import { versionProblem } from "../apt/version-compare.ts";
import { CudasealError } from "../errors.ts";

export interface ResolveRequest {
  /** Package specs: `name`, `name=version`, `name (>= 1.0)`, `name (<< 2)`, `name:arch`. */
  packages: readonly string[];
  /** The one architecture to resolve for (`amd64`); packages of it and of `all` are used. */
  arch: DebArch;
  /** Install Recommends too, as apt does by default; off unless asked. */
  withRecommends?: boolean;
  /**
   * Names (real or virtual, `*` matches any run of characters) that the image
   * gets some other way: never installed, and dependencies on them count as met.
   */
  provided?: readonly string[];
  /** Names (`*` allowed) that must never be installed; dependencies look for other alternatives. */
  excludes?: readonly string[];
}

/** One parsed package spec. */
export interface PackageSpec {
  /** As the user wrote it, for messages. */
  text: string;
  relation: Relation;
}

/** Read one package spec; throws SPEC_INVALID. */
export function parsePackageSpec(text: string): PackageSpec {
  const trimmed = text.trim();
  const fail = (message: string, cause?: unknown): never => {
    throw new CudasealError("SPEC_INVALID", `invalid package spec ${JSON.stringify(text)}: ${message}`, {
      hint: "write a package as name, name=version, name:arch, or name (>= version)",
      cause,
      details: { spec: text },
    });
  };
  // `name=version` is apt-get's spelling of `name (= version)`.
  const eq = /^([^\s=(]+)=(\S+)$/.exec(trimmed);
  let relation: Relation;
  try {
    relation = eq ? { ...parseRelation(eq[1]), op: "=", version: eq[2] } : parseRelation(trimmed);
  } catch (err) {
    return fail((err as Error).message.replace(/^[^:]*: /, ""), err);
  }
  if (relation.version !== undefined) {
    const problem = versionProblem(relation.version);
    if (problem?.level === "error") fail(problem.message);
  }
  return { text: trimmed, relation };
}

/** A predicate for a list of names where `*` matches any run of characters. */
export function nameMatcher(patterns: readonly string[] | undefined): (name: string) => boolean {
  const exact = new Set<string>();
  const globs: RegExp[] = [];
  for (const pattern of patterns ?? []) {
    if (pattern.includes("*")) {
      const source = pattern
        .split("*")
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join(".*");
      globs.push(new RegExp(`^${source}$`));
    } else {
      exact.add(pattern);
    }
  }
  if (globs.length === 0) return (name) => exact.has(name);
  return (name) => exact.has(name) || globs.some((glob) => glob.test(name));
}
