// The vulnerability model every feed is read into, and the findings matching
// produces: one advisory says which source package, in which Debian release,
// is affected by which vulnerability and from/until which version; or, for
// PyPI, which Python distribution in which PEP 440 versions.

/** How bad a finding is, worst first. */
export const SEVERITIES = ["critical", "high", "medium", "low", "negligible", "unknown"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Where an advisory stands: fixed in some version, not fixed yet, or not going to be. */
export type AdvisoryState = "resolved" | "open" | "wont-fix";

/** One vulnerability of one source package in one Debian release, or of one Python distribution. */
export interface Advisory {
  /** CVE, TEMP, DSA, DLA or OSV id. */
  id: string;
  /** `PyPI`: a Python distribution's, versions PEP 440; absent for Debian's. */
  ecosystem?: "PyPI";
  /** The Debian source package, or the PEP 503 name of the Python distribution. */
  source: string;
  /** Release codename (`trixie`); absent when the feed names none, so any release. */
  release?: string;
  state: AdvisoryState;
  /** The first fixed source version; set when state is `resolved`. */
  fixedVersion?: string;
  /** The first affected version; absent or `0` means every version. */
  introduced?: string;
  /** The last affected version, for an open interval that ends there (OSV `last_affected`). */
  lastAffected?: string;
  /** Exactly these versions are affected (OSV `versions`), rather than an interval. */
  versions?: string[];
  severity: Severity;
  description: string;
}

/** An installed package affected by an advisory. */
export interface Finding {
  id: string;
  /** `PyPI` for a Python distribution; absent for a Debian package. */
  ecosystem?: "PyPI";
  /** The installed binary package, or the Python distribution as its metadata names it. */
  package: string;
  source: string;
  /** The installed binary version. */
  installed: string;
  fixedVersion?: string;
  severity: Severity;
  /** `fixed`: a fix exists; `open`: none yet; `wont-fix`: Debian will not fix it in this release. */
  status: "fixed" | "open" | "wont-fix";
  description: string;
}

/** Higher is worse; `unknown` ranks lowest, so it never trips a severity gate. */
export function severityRank(s: Severity): number {
  return s === "unknown" ? 0 : SEVERITIES.length - 1 - SEVERITIES.indexOf(s);
}

/** A severity from the words feeds use (`HIGH`, `moderate`, `unimportant`); `unknown` otherwise. */
export function severityFromWord(word: unknown): Severity {
  if (typeof word !== "string") return "unknown";
  const w = word.trim().toLowerCase().replace(/\*+$/, "");
  if (w === "critical") return "critical";
  if (w === "high" || w === "important") return "high";
  if (w === "medium" || w === "moderate") return "medium";
  if (w === "low") return "low";
  if (w === "unimportant" || w === "negligible") return "negligible";
  return "unknown";
}
