// The available packages for one target architecture, arranged for the
// resolver: every version of a name in apt's candidate order, and every
// package that provides a virtual name.

import { AvailablePackages, type Provider } from "../apt/available.ts";
import type { DebArch, PackageRecord } from "../apt/types.ts";
import { compareVersions } from "../apt/version-compare.ts";

export class PackageIndex {
  readonly arch: DebArch;
  readonly #available: AvailablePackages;
  // Each name is looked up and sorted once, when the resolver first asks.
  readonly #versions = new Map<string, PackageRecord[]>();
  readonly #providers = new Map<string, Provider[]>();

  /** Over the packages on offer; a list of records is indexed in memory. */
  constructor(available: AvailablePackages | readonly PackageRecord[], arch: DebArch) {
    this.arch = arch;
    this.#available =
      available instanceof AvailablePackages ? available : AvailablePackages.fromRecords(available, arch);
  }

  /** Every version of a real package, best candidate first. */
  versionsOf(name: string): readonly PackageRecord[] {
    let list = this.#versions.get(name);
    if (!list) {
      // apt: a negative pin priority means never install this version.
      list = this.#available.named(name).filter((pkg) => pkg.repo.priority >= 0);
      // apt's candidate: the highest pin priority first, then the highest version.
      list.sort(candidateOrder);
      this.#versions.set(name, list);
    }
    return list;
  }

  /** Every package providing `name`, in the order apt would prefer them. */
  providersOf(name: string): readonly Provider[] {
    let list = this.#providers.get(name);
    if (!list) {
      list = this.#available.providing(name).filter((p) => p.pkg.repo.priority >= 0);
      list.sort(providerOrder);
      this.#providers.set(name, list);
    }
    return list;
  }

  /** Architectures other than the target (and `all`) that a real package of this name exists for. */
  otherArchesOf(name: string): string[] {
    return this.#available.otherArchesOf(name);
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
