// Whether a package satisfies a relation, by name or through Provides, with
// dpkg's architecture rules (archsatisfied() in lib/dpkg/depcon.c):
//   - a Multi-Arch: foreign package satisfies a dependency from any arch;
//   - `name:any` is satisfied only by a Multi-Arch: allowed package (any
//     package at all for Conflicts and Breaks);
//   - otherwise the architectures must be equal, where `all` counts as the
//     native one and an unqualified dependency carries its package's arch.
// A versioned dependency is met through Provides only by a versioned
// `Provides: name (= version)`; an unversioned one by any Provides.

import type { DebArch, PackageRecord, Relation } from "../apt/types.ts";
import { satisfies } from "../apt/version-compare.ts";

export type RelationKind = "depends" | "conflicts";

export interface MatchContext {
  /** The target (native) architecture. */
  native: DebArch;
  /** The architecture of the package declaring the relation; `all` is read as native. */
  fromArch: DebArch;
  kind: RelationKind;
}

/** dpkg's archsatisfied(). */
export function archSatisfies(pkg: PackageRecord, relation: Relation, ctx: MatchContext): boolean {
  if (pkg.multiArch === "foreign") return true;
  const qualifier = relation.archQualifier;
  if (qualifier === "any") return pkg.multiArch === "allowed" || ctx.kind === "conflicts";
  let depArch = qualifier === undefined ? ctx.fromArch : qualifier === "native" ? ctx.native : qualifier;
  if (depArch === "all") depArch = ctx.native;
  const pkgArch = pkg.arch === "all" ? ctx.native : pkg.arch;
  return depArch === pkgArch;
}

/** The version part of a relation holds for `version`. */
export function versionMatches(version: string, relation: Relation): boolean {
  return (
    relation.op === undefined ||
    relation.version === undefined ||
    satisfies(version, relation.op, relation.version)
  );
}

/** The package itself, by its own name, satisfies the relation. */
export function satisfiesByName(pkg: PackageRecord, relation: Relation, ctx: MatchContext): boolean {
  return (
    pkg.name === relation.name && versionMatches(pkg.version, relation) && archSatisfies(pkg, relation, ctx)
  );
}

/** The Provides entry through which the package satisfies the relation, if any. */
export function satisfyingProvides(
  pkg: PackageRecord,
  relation: Relation,
  ctx: MatchContext,
): Relation | undefined {
  for (const provides of pkg.provides) {
    if (provides.name !== relation.name) continue;
    if (!providesMatches(provides, relation)) continue;
    if (archSatisfies(pkg, relation, ctx)) return provides;
  }
  return undefined;
}

/** A Provides entry meets the version part of a relation. */
export function providesMatches(provides: Relation, relation: Relation): boolean {
  if (relation.op === undefined) return true;
  return provides.op === "=" && provides.version !== undefined && versionMatches(provides.version, relation);
}

/** The package satisfies the relation by name or through Provides. */
export function satisfiesRelation(pkg: PackageRecord, relation: Relation, ctx: MatchContext): boolean {
  return satisfiesByName(pkg, relation, ctx) || satisfyingProvides(pkg, relation, ctx) !== undefined;
}
