// Taking findings out of the count, purely: VEX statements first (a
// supplier's or the team's statement of fact), then the ignore file (a
// team's time-boxed decision). A suppressed finding keeps its reason for the
// report; gates look only at what is left.

import type { Finding } from "./advisory.ts";
import { type IgnoreEntry, ignoreCovers, isExpired } from "./ignore-file.ts";
import type { VexStatement } from "./vex.ts";
import { vexVerdict } from "./vex.ts";

/** Why a finding does not count. */
export type Suppression =
  | {
      kind: "vex";
      status: "not_affected" | "fixed";
      justification?: string;
      impactStatement?: string;
      file: string;
    }
  | { kind: "ignore"; reason: string; expires: string; file: string };

/** A finding taken out of the count, with why. */
export interface SuppressedFinding extends Finding {
  suppressedBy: Suppression;
}

export interface SuppressOptions {
  vex?: readonly VexStatement[];
  ignores?: readonly IgnoreEntry[];
  /** The scanned image's manifest digest, which VEX products name. */
  digest?: string;
  /** The digest of the index the manifest was chosen from, which VEX products may name instead. */
  indexDigest?: string;
  /** Today, `YYYY-MM-DD` (UTC), for expiry. */
  today: string;
}

export interface SuppressResult {
  findings: Finding[];
  suppressed: SuppressedFinding[];
  /** Ignore entries past their date: they suppressed nothing. */
  expired: IgnoreEntry[];
}

/** Split `findings` into those that count and those VEX or the ignore file take out. */
export function suppressFindings(findings: readonly Finding[], options: SuppressOptions): SuppressResult {
  const vex = options.vex ?? [];
  const ignores = options.ignores ?? [];
  const active = ignores.filter((e) => !isExpired(e, options.today));
  const digests = [options.digest, options.indexDigest].filter((d) => d !== undefined);
  const kept: Finding[] = [];
  const suppressed: SuppressedFinding[] = [];
  for (const f of findings) {
    const statement = vexVerdict(vex, f, digests);
    if (statement && (statement.status === "not_affected" || statement.status === "fixed")) {
      suppressed.push({
        ...f,
        suppressedBy: {
          kind: "vex",
          status: statement.status,
          justification: statement.justification,
          impactStatement: statement.impactStatement,
          file: statement.file,
        },
      });
      continue;
    }
    const entry = active.find((e) => ignoreCovers(e, f));
    if (entry) {
      suppressed.push({
        ...f,
        suppressedBy: { kind: "ignore", reason: entry.reason, expires: entry.expires, file: entry.file },
      });
      continue;
    }
    kept.push(f);
  }
  return { findings: kept, suppressed, expired: ignores.filter((e) => isExpired(e, options.today)) };
}
