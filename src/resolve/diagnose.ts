// Why no package can meet a dependency, in words a user can act on: the
// name is missing everywhere, exists only at too old a version, only for
// another architecture, only as an unversioned virtual package, or is
// excluded. Used for RESOLVE_NOT_FOUND messages and hints.

import { formatRelation } from "../apt/relations.ts";
import type { Alternatives, Relation } from "../apt/types.ts";
import { archSatisfies, type MatchContext, providesMatches, versionMatches } from "./match.ts";
import type { PackageIndex } from "./package-index.ts";

export interface Diagnosis {
  /** One short reason for the whole group. */
  reason: string;
  hint: string;
  /** Per alternative: `relation: reason`. */
  reasons: string[];
}

export interface DiagnoseContext {
  index: PackageIndex;
  match: MatchContext;
  excluded: (name: string) => boolean;
}

const MISSING_HINT =
  "it may live in a component or repository that is not configured: add the contrib or non-free component, " +
  "or the vendor's repository (NVIDIA's CUDA repository for cuda-*, libcudnn* and libnccl* packages); " +
  "or check the spelling";

/** Explain why no alternative of `group` can be installed. */
export function diagnose(group: Alternatives, ctx: DiagnoseContext): Diagnosis {
  const explained = group.map((relation) => explain(relation, ctx));
  const reasons = explained.map((e, i) => `${formatRelation(group[i])}: ${e.reason}`);
  if (explained.length === 1) return { reason: explained[0].reason, hint: explained[0].hint, reasons };
  const hints = [...new Set(explained.map((e) => e.hint))];
  return {
    reason: `no alternative can be installed (${reasons.join("; ")})`,
    hint: hints.join("; "),
    reasons,
  };
}

function explain(relation: Relation, ctx: DiagnoseContext): { reason: string; hint: string } {
  const { index, match } = ctx;
  const name = relation.name;
  if (ctx.excluded(name)) {
    return { reason: `${name} is excluded`, hint: `remove ${name} from excludes, or list it under provided` };
  }
  const versions = index.versionsOf(name);
  if (versions.length > 0) {
    const archOk = versions.filter((pkg) => archSatisfies(pkg, relation, match));
    if (archOk.length === 0) {
      if (relation.archQualifier === "any") {
        return {
          reason: `${name} is not Multi-Arch: allowed, so ${name}:any cannot be met`,
          hint: `the package declaring this dependency and ${name} disagree; report it to the repository`,
        };
      }
      return {
        reason: `${name} is not available for architecture ${relation.archQualifier ?? match.fromArch}`,
        hint: `resolve for that architecture instead, or drop the :${relation.archQualifier} qualifier`,
      };
    }
    const fitting = archOk.filter((pkg) => versionMatches(pkg.version, relation));
    if (fitting.length === 0) {
      const available = [...new Set(archOk.map((pkg) => pkg.version))].slice(0, 3).join(", ");
      return {
        reason: `${name} is only available at version ${available}, which does not satisfy ${relation.op} ${relation.version}`,
        hint:
          `loosen the version constraint, or add a source that has a matching ${name} ` +
          "(the suite's -updates or -backports, or the vendor's repository)",
      };
    }
    if (fitting.every((pkg) => ctx.excluded(pkg.name))) {
      return { reason: `${name} is excluded`, hint: `remove ${name} from excludes` };
    }
  }
  const providers = index.providersOf(name).filter((p) => archSatisfies(p.pkg, relation, match));
  if (providers.length > 0) {
    const fitting = providers.filter((p) => providesMatches(p.provides, relation));
    const names = [...new Set(providers.map((p) => p.pkg.name))].slice(0, 4).join(", ");
    if (fitting.length === 0) {
      return {
        reason: `${name} is a virtual package whose providers (${names}) do not provide a version satisfying ${relation.op} ${relation.version}`,
        hint: `install a package providing ${name} explicitly, or loosen the version constraint`,
      };
    }
    if (fitting.every((p) => ctx.excluded(p.pkg.name))) {
      return {
        reason: `every package providing ${name} (${names}) is excluded`,
        hint: "remove one from excludes",
      };
    }
  }
  const elsewhere = index.otherArchesOf(name);
  if (elsewhere.length > 0 && versions.length === 0 && providers.length === 0) {
    return {
      reason: `${name} exists only for ${elsewhere.join(", ")}, not for ${index.arch}`,
      hint: `${name} is not built for ${index.arch}; pick another package or architecture`,
    };
  }
  return { reason: "not found in any source", hint: MISSING_HINT };
}
