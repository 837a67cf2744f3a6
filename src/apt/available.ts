// The packages the sources offer for one target architecture, as lookups by
// name: what readSources returns instead of every record as an object. Each
// part is one index of one source: a compact index on disk (read lazily, its
// repository and pins attached as a record is decoded), or records already in
// memory (tests, callers holding a list). The order in which candidates are
// preferred is the resolver's business (resolve/package-index.ts); this only
// finds them, part by part, in index order.

import { Paragraph } from "../deb/deb822.ts";
import type { CompactIndex } from "./index-cache-read.ts";
import { toPackageRecord } from "./package-record.ts";
import { type AptPin, pinnedPriority } from "./pins.ts";
import type { DebArch, PackageRecord, Relation, RepoRef } from "./types.ts";

/** A package offering a virtual name through its Provides field. */
export interface Provider {
  pkg: PackageRecord;
  provides: Relation;
}

/** One index's packages for the target architecture. */
interface Part {
  /** Records called `name` for the target architecture or `all`, in index order. */
  named(name: string): PackageRecord[];
  /** Records providing `name`, in index order. */
  providing(name: string): Provider[];
  /** True when any record is called `name`. */
  hasName(name: string): boolean;
  /** Every name a record is called. */
  names(): Iterable<string>;
  /** Architectures other than the target and `all` that records called `name` are for. */
  otherArchesOf(name: string): Iterable<string>;
}

/** Every package on offer for one architecture, from one or more indexes. */
export class AvailablePackages {
  readonly arch: DebArch;
  readonly #parts: Part[];
  #names: string[] | undefined;

  private constructor(arch: DebArch, parts: Part[]) {
    this.arch = arch;
    this.#parts = parts;
  }

  /** Packages from compact indexes, each with the repository and pins of the source that named it. */
  static fromIndexes(
    arch: DebArch,
    parts: readonly { index: CompactIndex; repo: RepoRef; pins?: readonly AptPin[] }[],
  ): AvailablePackages {
    return new AvailablePackages(
      arch,
      parts.map((p) => new CompactPart(p.index, p.repo, p.pins)),
    );
  }

  /** Packages from records in memory; records for other architectures only feed otherArchesOf. */
  static fromRecords(records: readonly PackageRecord[], arch: DebArch): AvailablePackages {
    return new AvailablePackages(arch, [new RecordsPart(records, arch)]);
  }

  /** Every record called `name` (the target architecture's and `all`), whatever its priority. */
  named(name: string): PackageRecord[] {
    return this.#parts.flatMap((p) => p.named(name));
  }

  /** Every record providing `name`, whatever its priority. */
  providing(name: string): Provider[] {
    return this.#parts.flatMap((p) => p.providing(name));
  }

  /** True when some record is called `name`. */
  hasName(name: string): boolean {
    return this.#parts.some((p) => p.hasName(name));
  }

  /** Every name a record is called, sorted. */
  names(): readonly string[] {
    if (!this.#names) {
      const all = new Set<string>();
      for (const part of this.#parts) for (const name of part.names()) all.add(name);
      this.#names = [...all].sort();
    }
    return this.#names;
  }

  /** Architectures other than the target (and `all`) that a record of this name exists for, sorted. */
  otherArchesOf(name: string): string[] {
    const arches = new Set<string>();
    for (const part of this.#parts) for (const arch of part.otherArchesOf(name)) arches.add(arch);
    return [...arches].sort();
  }

  /** Every record, decoded: for tests and small repositories, never a full archive's index. */
  records(): PackageRecord[] {
    return this.names().flatMap((name) => this.named(name));
  }
}

/** A compact index, decoding each record once, when first asked for. */
class CompactPart implements Part {
  readonly #index: CompactIndex;
  readonly #repo: RepoRef;
  readonly #pins: readonly AptPin[] | undefined;
  readonly #decoded = new Map<number, PackageRecord>();

  constructor(index: CompactIndex, repo: RepoRef, pins: readonly AptPin[] | undefined) {
    this.#index = index;
    this.#repo = repo;
    this.#pins = pins;
  }

  named(name: string): PackageRecord[] {
    return this.#index.recordIds(name).map((id) => this.#record(id));
  }

  providing(name: string): Provider[] {
    return this.#index.providerIds(name).map(([id, i]) => {
      const pkg = this.#record(id);
      return { pkg, provides: pkg.provides[i] };
    });
  }

  hasName(name: string): boolean {
    return this.#index.hasRecord(name);
  }

  names(): Iterable<string> {
    return this.#index.recordNames();
  }

  otherArchesOf(): Iterable<string> {
    // Built for one architecture: other architectures' records were never kept.
    return [];
  }

  #record(id: number): PackageRecord {
    let record = this.#decoded.get(id);
    if (!record) {
      // The record was checked when the entry was built; this repeats the same checks.
      record = toPackageRecord(new Paragraph(this.#index.fields(id)), this.#repo);
      const priority = pinnedPriority(record.name, this.#repo.priority, this.#pins);
      if (priority !== this.#repo.priority) record.repo = { ...this.#repo, priority };
      this.#decoded.set(id, record);
    }
    return record;
  }
}

/** Records in memory, indexed by name. */
class RecordsPart implements Part {
  readonly #byName = new Map<string, PackageRecord[]>();
  readonly #providers = new Map<string, Provider[]>();
  readonly #all = new Set<string>();
  readonly #elsewhere = new Map<string, Set<string>>();

  constructor(records: readonly PackageRecord[], arch: DebArch) {
    for (const pkg of records) {
      this.#all.add(pkg.name);
      if (pkg.arch !== arch && pkg.arch !== "all") {
        // As apt: a negative priority means the package is not there at all.
        if (pkg.repo.priority < 0) continue;
        const arches = this.#elsewhere.get(pkg.name) ?? new Set();
        arches.add(pkg.arch);
        this.#elsewhere.set(pkg.name, arches);
        continue;
      }
      push(this.#byName, pkg.name, pkg);
      for (const provides of pkg.provides) push(this.#providers, provides.name, { pkg, provides });
    }
  }

  named(name: string): PackageRecord[] {
    return this.#byName.get(name) ?? [];
  }

  providing(name: string): Provider[] {
    return this.#providers.get(name) ?? [];
  }

  hasName(name: string): boolean {
    return this.#all.has(name);
  }

  names(): Iterable<string> {
    return this.#all;
  }

  otherArchesOf(name: string): Iterable<string> {
    return this.#elsewhere.get(name) ?? [];
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
