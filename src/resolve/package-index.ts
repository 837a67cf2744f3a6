// The available packages for one target architecture, arranged for the
// resolver: every version of a name in apt's candidate order, and every
// package that provides a virtual name.

import type { DebArch, PackageRecord, Relation } from "../apt/types.ts";
import { compareVersions } from "../apt/version-compare.ts";

/** A package offering a virtual name through its Provides field. */
export interface Provider {
  pkg: PackageRecord;
  provides: Relation;
}

export class PackageIndex {
  readonly arch: DebArch;
  readonly #byName = new Map<string, PackageRecord[]>();
  readonly #providers = new Map<string, Provider[]>();
  /** Names seen only for architectures other than the target, for error hints. */
  readonly #elsewhere = new Map<string, Set<string>>();

  constructor(records: readonly PackageRecord[], arch: DebArch) {
    this.arch = arch;
    for (const pkg of records) {
      // apt: a negative pin priority means never install this version.
      if (pkg.repo.priority < 0) continue;
      if (pkg.arch !== arch && pkg.arch !== "all") {
        const arches = this.#elsewhere.get(pkg.name) ?? new Set();
        arches.add(pkg.arch);
        this.#elsewhere.set(pkg.name, arches);
        continue;
      }
      push(this.#byName, pkg.name, pkg);
      for (const provides of pkg.provides) push(this.#providers, provides.name, { pkg, provides });
    }
    // apt's candidate: the highest pin priority first, then the highest version.
    for (const list of this.#byName.values()) list.sort(candidateOrder);
    for (const list of this.#providers.values()) list.sort(providerOrder);
  }

  /** Every version of a real package, best candidate first. */
  versionsOf(name: string): readonly PackageRecord[] {
    return this.#byName.get(name) ?? [];
  }

  /** Every package providing `name`, in the order apt would prefer them. */
  providersOf(name: string): readonly Provider[] {
    return this.#providers.get(name) ?? [];
  }

  /** Architectures other than the target (and `all`) that a real package of this name exists for. */
  otherArchesOf(name: string): string[] {
    return [...(this.#elsewhere.get(name) ?? [])].sort();
  }
}

// apt's CompareProviders, less what only matters on a live system (installed,
// other architectures): Essential first, then the Priority field
// (required > important > standard > optional), then source priority; the
// name, then the version, break ties where apt would use its cache order.
function providerOrder(a: Provider, b: Provider): number {
  return (
    Number(b.pkg.essential) - Number(a.pkg.essential) ||
    priorityRank(a.pkg.priority) - priorityRank(b.pkg.priority) ||
    b.pkg.repo.priority - a.pkg.repo.priority ||
    (a.pkg.name < b.pkg.name ? -1 : a.pkg.name > b.pkg.name ? 1 : 0) ||
    compareVersions(b.pkg.version, a.pkg.version) ||
    byRepo(a.pkg, b.pkg)
  );
}

const PRIORITY_RANK: Record<string, number> = {
  required: 1,
  important: 2,
  standard: 3,
  optional: 4,
  extra: 5,
};

function priorityRank(priority: string | undefined): number {
  return PRIORITY_RANK[priority?.toLowerCase() ?? ""] ?? 6;
}

function candidateOrder(a: PackageRecord, b: PackageRecord): number {
  return b.repo.priority - a.repo.priority || compareVersions(b.version, a.version) || byRepo(a, b);
}

// The last tie-break, so that the order packages are offered in never matters.
function byRepo(a: PackageRecord, b: PackageRecord): number {
  const ka = `${a.repo.uri}\0${a.repo.suite}\0${a.repo.component}\0${a.sha256}`;
  const kb = `${b.repo.uri}\0${b.repo.suite}\0${b.repo.component}\0${b.sha256}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
