// The resolver: a pure function from the packages on offer (for one target
// architecture) and a request to the exact set of packages to install.
//
// It works the way apt's install marking does, greedily and in a fixed order,
// so that the same input always gives the same answer:
//
//  1. The requested packages are queued in the order given. Each package
//     selected queues its Pre-Depends and Depends (and Recommends when asked).
//  2. A dependency is met, in this order: by the host (one alternative is a
//     driver name, or listed as provided); by a package already selected; or
//     by selecting the first installable candidate of the first alternative
//     that has one. A name's candidates come in apt's order: highest source
//     priority, then highest version, and then packages providing the name.
//     Candidates that would conflict with the selection, or that only fetch
//     their payload in a script, are taken only when nothing else fits.
//  3. Single-choice dependencies are handled before dependencies with
//     alternatives, and those before Recommends, so an alternative is decided
//     once as much as possible is known, and prefers what is already there.
//  4. Only one version of a name is ever selected. When a later dependency
//     needs another version of a selected name, the requirement is learned as
//     a pin and the whole resolution starts again honouring it. When a
//     recommended package (or anything it pulls in) cannot be installed, that
//     recommendation is dropped and resolution starts again. Every restart
//     learns one new fact, so this ends.
//  5. Finally, any two selected packages where one Conflicts with or Breaks
//     the other are an error.
//
// Cycles need no special care: a selected package is never queued twice.

import type { AvailablePackages } from "../apt/available.ts";
import { formatAlternatives, formatRelation } from "../apt/relations.ts";
import type { Alternatives, DebArch, PackageRecord, Relation } from "../apt/types.ts";
import { CudasealError } from "../errors.ts";
import { diagnose } from "./diagnose.ts";
import { isHostProvidedName, isHostProvidedPackage } from "./host-provided.ts";
import {
  type MatchContext,
  providesMatches,
  satisfiesByName,
  satisfiesRelation,
  satisfyingProvides,
  versionMatches,
} from "./match.ts";
import { PackageIndex } from "./package-index.ts";
import { nameMatcher, type PackageSpec, parsePackageSpec, type ResolveRequest } from "./request.ts";
import { isScriptFetched, scriptFetchedHint } from "./script-fetched.ts";

/** The exact install set for one architecture. */
export interface Resolution {
  arch: DebArch;
  /** Every package to install, sorted by name. */
  packages: PackageRecord[];
  /** For each package, the names its Depends and Pre-Depends resolved to, sorted. */
  dependsOn: Map<string, string[]>;
  /** Dependency names left to the host (the NVIDIA driver, or the request's `provided` list), sorted. */
  hostProvided: string[];
}

// Each pass learns one fact; this bounds a runaway, not real requests.
const MAX_PASSES = 2000;

/**
 * Resolve `request` against `available`: the packages the sources offer for
 * the target architecture, or a list of records of any architecture (only the
 * target's and `all` are used).
 */
export function resolve(
  available: AvailablePackages | readonly PackageRecord[],
  request: ResolveRequest,
): Resolution {
  if (!request.arch || !/^[a-z0-9][a-z0-9-]*$/.test(request.arch)) {
    throw new CudasealError("SPEC_INVALID", `invalid target architecture ${JSON.stringify(request.arch)}`);
  }
  const index = new PackageIndex(available, request.arch);
  const specs = request.packages.map(parsePackageSpec);
  const settings: Settings = {
    index,
    specs,
    withRecommends: request.withRecommends === true,
    provided: nameMatcher(request.provided),
    excluded: nameMatcher(request.excludes),
  };
  checkSpecs(settings);
  const learned: Learned = { pins: new Map(), skippedRecommends: new Set() };
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    try {
      return new Pass(settings, learned).run();
    } catch (err) {
      if (!(err instanceof Restart)) throw err;
    }
  }
  throw new CudasealError("INTERNAL", `resolution did not settle after ${MAX_PASSES} passes`, {
    hint: "this is a bug in cudaseal; please report it with the request and sources used",
  });
}

interface Settings {
  index: PackageIndex;
  specs: PackageSpec[];
  withRecommends: boolean;
  provided: (name: string) => boolean;
  excluded: (name: string) => boolean;
}

/** What earlier passes found out; only ever grows. */
interface Learned {
  /** Version requirements on a name, with the chain that asked for each. */
  pins: Map<string, { relation: Relation; chain: string[] }[]>;
  /** Recommends (`package\0group`) that cannot be installed. */
  skippedRecommends: Set<string>;
}

/** Thrown inside a pass after something was learned: start again. */
class Restart {}

/** A selected package and how it came to be selected. */
interface Node {
  pkg: PackageRecord;
  /** Request spec, then each dependency followed to reach this package. */
  chain: string[];
  /** The innermost Recommends edge this package was reached through, if any. */
  softVia?: string;
}

interface Work {
  from?: Node;
  group: Alternatives;
  kind: "request" | "depends" | "recommends";
  /** Chain up to and including `from`. */
  chain: string[];
  softVia?: string;
  deferred?: boolean;
}

interface Candidate {
  pkg: PackageRecord;
  relation: Relation;
  /** 1: fine; 2: conflicts with the selection; 3: fetches its payload in a script. */
  tier: number;
}

function checkSpecs(settings: Settings): void {
  for (const spec of settings.specs) {
    const name = spec.relation.name;
    if (isHostProvidedName(name) || settings.provided(name)) {
      const builtin = isHostProvidedName(name);
      throw new CudasealError(
        "RESOLVE_PROVIDED_BY_HOST",
        builtin
          ? `${name} is part of the NVIDIA driver, which the host provides at run time`
          : `${name} is both requested and listed as provided`,
        {
          hint: builtin
            ? "remove it from the package list: the container runtime mounts the host's driver libraries into the container"
            : `remove ${name} from either the package list or provided`,
          details: { package: name, chain: [spec.text] },
        },
      );
    }
    if (settings.excluded(name)) {
      throw new CudasealError("SPEC_INVALID", `${name} is both requested and excluded`, {
        hint: `remove ${name} from either the package list or excludes`,
        details: { package: name },
      });
    }
  }
}

class Pass {
  readonly #s: Settings;
  readonly #learned: Learned;
  readonly #native: DebArch;
  readonly #selected = new Map<string, Node>();
  /** Virtual name -> selected packages providing it. */
  readonly #providing = new Map<string, Node[]>();
  /** Name -> Conflicts/Breaks relations of selected packages naming it. */
  readonly #conflictTargets = new Map<string, { node: Node; relation: Relation }[]>();
  readonly #edges = new Map<string, Set<string>>();
  readonly #hostProvided = new Set<string>();
  readonly #queues: Work[][] = [[], [], []];
  readonly #heads = [0, 0, 0];

  constructor(settings: Settings, learned: Learned) {
    this.#s = settings;
    this.#learned = learned;
    this.#native = settings.index.arch;
  }

  run(): Resolution {
    for (const spec of this.#s.specs) {
      this.#queue({ group: [spec.relation], kind: "request", chain: [] });
    }
    for (let work = this.#next(); work; work = this.#next()) this.#process(work);
    this.#checkConflicts();
    return this.#result();
  }

  #queue(work: Work): void {
    const lane = work.kind === "recommends" ? 2 : work.deferred ? 1 : 0;
    this.#queues[lane].push(work);
  }

  #next(): Work | undefined {
    for (let lane = 0; lane < 3; lane++) {
      if (this.#heads[lane] < this.#queues[lane].length) return this.#queues[lane][this.#heads[lane]++];
    }
    return undefined;
  }

  #ctx(work: Work, kind: MatchContext["kind"] = "depends"): MatchContext {
    const fromArch = work.from && work.from.pkg.arch !== "all" ? work.from.pkg.arch : this.#native;
    return { native: this.#native, fromArch, kind };
  }

  #process(work: Work): void {
    if (work.kind === "recommends" && this.#learned.skippedRecommends.has(softKey(work))) return;
    const ctx = this.#ctx(work);
    if (work.kind !== "request") {
      const host = work.group.find((r) => isHostProvidedName(r.name) || this.#s.provided(r.name));
      if (host) {
        this.#hostProvided.add(host.name);
        return;
      }
    }
    for (const relation of work.group) {
      const node = this.#selectedSatisfying(relation, ctx);
      if (node) {
        this.#edge(work, node);
        return;
      }
    }
    if (work.kind === "depends" && work.group.length > 1 && !work.deferred) {
      this.#queue({ ...work, deferred: true });
      return;
    }
    this.#choose(work, ctx);
  }

  /** A selected package meeting the relation, by name first, then through Provides. */
  #selectedSatisfying(relation: Relation, ctx: MatchContext): Node | undefined {
    const node = this.#selected.get(relation.name);
    if (node && satisfiesByName(node.pkg, relation, ctx)) return node;
    return this.#providing
      .get(relation.name)
      ?.find((n) => satisfyingProvides(n.pkg, relation, ctx) !== undefined);
  }

  #choose(work: Work, ctx: MatchContext): void {
    const { index, excluded, provided } = this.#s;
    let best: Candidate | undefined;
    let blocked: { relation: Relation; node: Node } | undefined;
    let pinned: { relation: Relation; pin: { relation: Relation; chain: string[] } } | undefined;
    search: for (const relation of work.group) {
      if (excluded(relation.name)) continue;
      const candidates = [
        ...index.versionsOf(relation.name).filter((pkg) => satisfiesByName(pkg, relation, ctx)),
        ...index
          .providersOf(relation.name)
          .filter((p) => providesMatches(p.provides, relation) && satisfiesRelation(p.pkg, relation, ctx))
          .map((p) => p.pkg),
      ];
      for (const pkg of candidates) {
        if (excluded(pkg.name)) continue;
        const taken = this.#selected.get(pkg.name);
        if (taken) {
          blocked ??= { relation, node: taken };
          continue;
        }
        const pin = this.#learned.pins.get(pkg.name)?.find((p) => !versionMatches(pkg.version, p.relation));
        if (pin) {
          pinned ??= { relation, pin };
          continue;
        }
        if (provided(pkg.name) || (work.kind !== "request" && isHostProvidedPackage(pkg))) {
          this.#hostProvided.add(pkg.name);
          return;
        }
        if (isHostProvidedPackage(pkg)) throw this.#hostError(work, pkg);
        const tier = isScriptFetched(pkg) ? 3 : this.#conflictsWithSelection(pkg) ? 2 : 1;
        if (!best || tier < best.tier) best = { pkg, relation, tier };
        if (tier === 1) break search;
      }
    }

    if (best && best.tier < 3) {
      this.#select(work, best.pkg, best.relation);
      return;
    }
    if (work.kind === "recommends") return;
    const scriptOnly = best;
    if (scriptOnly) this.#fail(work, () => this.#scriptFetchedError(work, scriptOnly));
    if (blocked) this.#learnPin(work, blocked.relation, blocked.node);
    const clash = pinned;
    if (clash) {
      this.#fail(work, () =>
        this.#versionClash(work, clash.relation, clash.pin.chain, formatRelation(clash.pin.relation)),
      );
    }
    this.#fail(work, () => this.#notFound(work, ctx));
  }

  /** Inside a recommended subtree a failure drops the recommendation; elsewhere it is the error. */
  #fail(work: Work, error: () => CudasealError): never {
    if (work.softVia) this.#skipRecommend(work.softVia);
    throw error();
  }

  #skipRecommend(key: string): never {
    this.#learned.skippedRecommends.add(key);
    throw new Restart();
  }

  /** A dependency needs another version of a selected name: pin it and start again, if any version fits. */
  #learnPin(work: Work, relation: Relation, node: Node): never {
    const name = node.pkg.name;
    const pins = this.#learned.pins.get(name) ?? [];
    const wanted = [...pins.map((p) => p.relation), ...(relation.name === name ? [relation] : [])];
    const fits = this.#s.index
      .versionsOf(name)
      .some((pkg) => pkg.version !== node.pkg.version && wanted.every((r) => versionMatches(pkg.version, r)));
    const known = pins.some((p) => formatRelation(p.relation) === formatRelation(relation));
    if (relation.name === name && relation.op !== undefined && fits && !known) {
      pins.push({ relation, chain: [...work.chain, formatRelation(relation)] });
      this.#learned.pins.set(name, pins);
      throw new Restart();
    }
    if (work.softVia) this.#skipRecommend(work.softVia);
    if (node.softVia) this.#skipRecommend(node.softVia);
    throw this.#versionClash(work, relation, node.chain, `${name} ${node.pkg.version}`);
  }

  #select(work: Work, pkg: PackageRecord, relation: Relation): void {
    const label = work.kind === "request" ? this.#specText(work) : formatRelation(relation);
    const node: Node = {
      pkg,
      chain: [...work.chain, pkg.name === relation.name ? label : `${label} (provided by ${pkg.name})`],
      softVia: work.kind === "recommends" ? softKey(work) : work.softVia,
    };
    this.#selected.set(pkg.name, node);
    for (const provides of pkg.provides) push(this.#providing, provides.name, node);
    for (const relation of [...pkg.conflicts, ...pkg.breaks])
      push(this.#conflictTargets, relation.name, { node, relation });
    this.#edge(work, node);
    for (const group of [...pkg.preDepends, ...pkg.depends]) {
      this.#queue({ from: node, group, kind: "depends", chain: node.chain, softVia: node.softVia });
    }
    if (this.#s.withRecommends) {
      for (const group of pkg.recommends) {
        this.#queue({ from: node, group, kind: "recommends", chain: node.chain, softVia: node.softVia });
      }
    }
  }

  #specText(work: Work): string {
    return this.#s.specs.find((s) => s.relation === work.group[0])?.text ?? formatAlternatives(work.group);
  }

  #edge(work: Work, node: Node): void {
    if (work.kind !== "depends" || !work.from || work.from === node) return;
    const set = this.#edges.get(work.from.pkg.name) ?? new Set();
    set.add(node.pkg.name);
    this.#edges.set(work.from.pkg.name, set);
  }

  /** Whether selecting `pkg` would make a Conflicts or Breaks pair with the current selection. */
  #conflictsWithSelection(pkg: PackageRecord): boolean {
    const ctx: MatchContext = { native: this.#native, fromArch: this.#archOf(pkg), kind: "conflicts" };
    for (const relation of [...pkg.conflicts, ...pkg.breaks]) {
      if (this.#selectedMatching(relation, ctx).some((n) => n.pkg.name !== pkg.name)) return true;
    }
    for (const name of [pkg.name, ...pkg.provides.map((p) => p.name)]) {
      for (const { node, relation } of this.#conflictTargets.get(name) ?? []) {
        const theirs: MatchContext = {
          native: this.#native,
          fromArch: this.#archOf(node.pkg),
          kind: "conflicts",
        };
        if (node.pkg.name !== pkg.name && satisfiesRelation(pkg, relation, theirs)) return true;
      }
    }
    return false;
  }

  #selectedMatching(relation: Relation, ctx: MatchContext): Node[] {
    const hits: Node[] = [];
    const node = this.#selected.get(relation.name);
    if (node && satisfiesByName(node.pkg, relation, ctx)) hits.push(node);
    for (const n of this.#providing.get(relation.name) ?? []) {
      if (n !== node && satisfyingProvides(n.pkg, relation, ctx)) hits.push(n);
    }
    return hits;
  }

  #checkConflicts(): void {
    for (const node of sortedNodes(this.#selected)) {
      const ctx: MatchContext = { native: this.#native, fromArch: this.#archOf(node.pkg), kind: "conflicts" };
      for (const [field, relations] of [
        ["Conflicts", node.pkg.conflicts],
        ["Breaks", node.pkg.breaks],
      ] as const) {
        for (const relation of relations) {
          // A package may conflict with a virtual name it provides itself.
          const other = this.#selectedMatching(relation, ctx).find((n) => n !== node);
          if (!other) continue;
          const soft = node.softVia ?? other.softVia;
          if (soft) this.#skipRecommend(soft);
          throw conflictError(node, other, field, relation);
        }
      }
    }
  }

  #archOf(pkg: PackageRecord): DebArch {
    return pkg.arch === "all" ? this.#native : pkg.arch;
  }

  #result(): Resolution {
    const nodes = sortedNodes(this.#selected);
    const dependsOn = new Map<string, string[]>();
    for (const node of nodes)
      dependsOn.set(node.pkg.name, [...(this.#edges.get(node.pkg.name) ?? [])].sort(byCodePoint));
    return {
      arch: this.#native,
      packages: nodes.map((n) => n.pkg),
      dependsOn,
      hostProvided: [...this.#hostProvided].sort(byCodePoint),
    };
  }

  #notFound(work: Work, ctx: MatchContext): CudasealError {
    const text = work.kind === "request" ? this.#specText(work) : formatAlternatives(work.group);
    const chain = [...work.chain, text];
    const d = diagnose(work.group, { index: this.#s.index, match: ctx, excluded: this.#s.excluded });
    return new CudasealError("RESOLVE_NOT_FOUND", `${chain.join(" -> ")}: ${d.reason}`, {
      hint: d.hint,
      details: { chain, package: text, arch: this.#native, reasons: d.reasons },
    });
  }

  #scriptFetchedError(work: Work, candidate: Candidate): CudasealError {
    const label = work.kind === "request" ? this.#specText(work) : formatRelation(candidate.relation);
    const chain = [
      ...work.chain,
      candidate.pkg.name === candidate.relation.name ? label : candidate.pkg.name,
    ];
    return new CudasealError(
      "RESOLVE_SCRIPT_FETCHED",
      `${chain.join(" -> ")}: ${candidate.pkg.name} downloads its payload at install time and cannot go into an image`,
      { hint: scriptFetchedHint(candidate.pkg.name), details: { chain, package: candidate.pkg.name } },
    );
  }

  #hostError(work: Work, pkg: PackageRecord): CudasealError {
    return new CudasealError(
      "RESOLVE_PROVIDED_BY_HOST",
      `${this.#specText(work)} resolves to ${pkg.name}, part of the NVIDIA driver, which the host provides at run time`,
      {
        hint: "remove it from the package list: the container runtime mounts the host's driver libraries into the container",
        details: { package: pkg.name, chain: [this.#specText(work)] },
      },
    );
  }

  #versionClash(work: Work, relation: Relation, otherChain: string[], other: string): CudasealError {
    const chain = [...work.chain, work.kind === "request" ? this.#specText(work) : formatRelation(relation)];
    return new CudasealError(
      "RESOLVE_CONFLICT",
      `${chain.join(" -> ")} cannot be met together with ${other} (${otherChain.join(" -> ")})`,
      {
        hint: "the two need different versions of one package; relax a version in the request, or add a source where one version satisfies both",
        details: { chain, package: relation.name, chains: [chain, otherChain] },
      },
    );
  }
}

function conflictError(
  node: Node,
  other: Node,
  field: "Conflicts" | "Breaks",
  relation: Relation,
): CudasealError {
  const a = `${node.pkg.name} ${node.pkg.version}`;
  const b = `${other.pkg.name} ${other.pkg.version}`;
  return new CudasealError(
    "RESOLVE_CONFLICT",
    `${a} ${field === "Conflicts" ? "conflicts with" : "breaks"} ${formatRelation(relation)}, and ${b} is selected too`,
    {
      hint:
        `${node.pkg.name} (wanted by ${node.chain.join(" -> ")}) and ${other.pkg.name} (wanted by ${other.chain.join(" -> ")}) ` +
        "cannot be installed together; drop one of the requests that pulls them in, or pin versions that do not clash",
      details: {
        packages: [node.pkg.name, other.pkg.name],
        chains: [node.chain, other.chain],
        relation: `${field}: ${formatRelation(relation)}`,
      },
    },
  );
}

function softKey(work: Work): string {
  return `${work.from?.pkg.name ?? ""}\0${formatAlternatives(work.group)}`;
}

function sortedNodes(selected: Map<string, Node>): Node[] {
  return [...selected.values()].sort((a, b) => byCodePoint(a.pkg.name, b.pkg.name));
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
