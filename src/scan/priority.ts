// Prioritising findings by what is known of their exploitation: a finding in
// CISA's KEV catalog is being exploited now; one with a high EPSS score
// likely soon. Findings are marked with both, and sorted KEV first, then by
// EPSS score (highest first, unscored last), then by severity and the scan's
// own order, so the top of a long list is what to fix first.

import type { Finding } from "./advisory.ts";
import type { EpssScore, EpssScores } from "./epss.ts";
import type { KevCatalog, KevEntry } from "./kev.ts";
import { compareFindings } from "./match.ts";

/** A finding with what the feeds say of its CVE. */
export interface PrioritizedFinding extends Finding {
  /** The KEV catalog's entry for it: known to be exploited. */
  kev?: KevEntry;
  /** Its EPSS score. */
  epss?: EpssScore;
}

/** The feeds findings are marked from; either may be absent. */
export interface PriorityFeeds {
  kev?: KevCatalog;
  epss?: EpssScores;
}

/** `findings` marked with their KEV entry and EPSS score (new objects; the input is left alone). */
export function markFindings(findings: readonly Finding[], feeds: PriorityFeeds): PrioritizedFinding[] {
  return findings.map((f) => {
    const kev = feeds.kev?.entries.get(f.id);
    const epss = feeds.epss?.scores.get(f.id);
    return kev === undefined && epss === undefined
      ? f
      : { ...f, ...(kev ? { kev } : {}), ...(epss ? { epss } : {}) };
  });
}

/** KEV first, then EPSS score (highest first, unscored last), then severity and the scan's order. */
export function comparePriority(a: PrioritizedFinding, b: PrioritizedFinding): number {
  return (
    Number(b.kev !== undefined) - Number(a.kev !== undefined) ||
    (b.epss?.score ?? -1) - (a.epss?.score ?? -1) ||
    compareFindings(a, b)
  );
}
