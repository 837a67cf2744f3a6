// Matching for a fleet: each image's packages against its release's indexed
// advisories, marked with KEV and EPSS and put in priority order. Two
// savings make a thousand images cheap: images of one package set (the tags
// and rebuilds of one lock) are matched once, by a hash of the set; and a
// finding many images share is one object that every image's list points
// at, so memory grows with the fleet's distinct findings, not their sum.

import { createHash } from "node:crypto";
import {
  comparePriority,
  type Finding,
  markFindings,
  matchIndexed,
  matchPythonFindings,
  type PrioritizedFinding,
  type PriorityFeeds,
} from "../scan/index.ts";
import type { Inventory } from "./inventory.ts";
import type { ReleaseData } from "./release-databases.ts";

/** Package sets whose matches are kept for reuse; past it the memo starts again, so memory stays bounded. */
const MAX_PACKAGE_SETS = 256;

/** Matches images one after another, sharing what they have in common. */
export class FleetMatcher {
  readonly #priority: PriorityFeeds;
  readonly #canonical = new Map<string, PrioritizedFinding>();
  readonly #bySet = new Map<string, PrioritizedFinding[]>();

  constructor(priority: PriorityFeeds = {}) {
    this.#priority = priority;
  }

  /** The findings of `inventory` in `data`, most urgent first (the list may be shared: do not change it). */
  match(inventory: Inventory, data: ReleaseData): PrioritizedFinding[] {
    const key = packageSetKey(inventory);
    let found = this.#bySet.get(key);
    if (found === undefined) {
      found = this.#prioritized(inventory.release, [
        ...matchIndexed(inventory.packages, data.index),
        ...(inventory.python.length > 0 ? matchPythonFindings(inventory.python, data.python) : []),
      ]);
      if (this.#bySet.size >= MAX_PACKAGE_SETS) this.#bySet.clear();
      this.#bySet.set(key, found);
    }
    return found;
  }

  #prioritized(release: string, findings: readonly Finding[]): PrioritizedFinding[] {
    return markFindings(findings, this.#priority)
      .sort(comparePriority)
      .map((f) => {
        const key = `${release}\0${f.ecosystem ?? ""}\0${f.id}\0${f.source}\0${f.package}\0${f.installed}`;
        const seen = this.#canonical.get(key);
        if (seen !== undefined) return seen;
        this.#canonical.set(key, f);
        return f;
      });
  }
}

/** The release and every package's name, architecture, version and source version: what matching reads. */
function packageSetKey(inventory: Inventory): string {
  const parts = [inventory.release];
  for (const p of inventory.packages)
    parts.push(`${p.name}\0${p.arch}\0${p.version}\0${p.source ?? ""}\0${p.sourceVersion ?? ""}`);
  parts.push("");
  for (const p of inventory.python) parts.push(`${p.name}\0${p.version}`);
  return createHash("sha256").update(parts.join("\n")).digest("hex");
}
