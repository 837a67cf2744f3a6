// The Debian Security Tracker's JSON, in its published shape:
//
//   { "<source>": { "<CVE-or-TEMP-id>": { "description", "scope",
//       "releases": { "<codename>": { "status": "resolved"|"open"|"undetermined",
//         "fixed_version"?, "urgency", "nodsa"?, "nodsa_reason"?,
//         "repositories": { "<codename>": "<version>" } } } } } }
//
// What each release entry means, as the tracker's own documentation (its
// narrative introduction and the security team's triage notes) gives it:
//
//   resolved, fixed_version V   fixed in V (a DSA, a point release or a new upload)
//   resolved, fixed_version "0" never affected this release: no finding
//   open                        affected, no fix yet
//   undetermined                not yet known whether affected: counted as open
//   nodsa, nodsa_reason ""      <no-dsa>: minor, no advisory of its own; the fix
//                               comes in a point release: open
//   nodsa_reason "postponed"    <postponed>: the fix rides with a later update
//                               or point release: open
//   nodsa_reason "ignored"      <ignored>: Debian will not fix it in this release
//   urgency "end-of-life"       the release no longer gets fixes for the package
//
// Urgency is the severity (`unimportant` is negligible, so never a gate's).
// Only `ignored` and `end-of-life` are wont-fix: a no-dsa or postponed issue
// is fixed later in the same release, and once the tracker records the fixed
// version it is `resolved` and counts for --only-fixed. The file is hostile
// input: entries of the wrong shape are skipped.

import { type Advisory, severityFromWord } from "./advisory.ts";

export interface TrackerOptions {
  /** Keep only this release's entries (a codename); all when absent. */
  release?: string;
  /** Applied to each entry's description once (the compact cache shortens them). */
  description?: (text: string) => string;
}

/** True when `data` looks like the tracker's JSON rather than an OSV record. */
export function isDebianTracker(data: unknown): data is Record<string, unknown> {
  return isObject(data) && !(typeof data.id === "string" && Array.isArray(data.affected));
}

/** Every well-formed advisory in a parsed tracker document. */
export function debianTrackerAdvisories(
  data: Record<string, unknown>,
  options: TrackerOptions = {},
): Advisory[] {
  const out: Advisory[] = [];
  for (const [source, ids] of Object.entries(data)) {
    if (!isObject(ids)) continue;
    for (const [id, entry] of Object.entries(ids)) {
      if (!isObject(entry) || !isObject(entry.releases)) continue;
      // Looked up, not iterated, when one release is wanted: most entries list five.
      const releases =
        options.release === undefined
          ? Object.entries(entry.releases)
          : Object.hasOwn(entry.releases, options.release)
            ? [[options.release, entry.releases[options.release]] as const]
            : [];
      if (releases.length === 0) continue;
      let description = typeof entry.description === "string" ? entry.description : "";
      if (options.description) description = options.description(description);
      for (const [release, rel] of releases) {
        const advisory = fromRelease(id, source, release, rel, description);
        if (advisory) out.push(advisory);
      }
    }
  }
  return out;
}

/** The advisory one release entry (`releases.<codename>`) of one tracker entry stands for, if well-formed. */
export function fromRelease(
  id: string,
  source: string,
  release: string,
  rel: unknown,
  description: string,
): Advisory | undefined {
  if (!isObject(rel)) return undefined;
  const severity = severityFromWord(rel.urgency);
  const base = { id, source, release, severity, description };
  if (rel.status === "resolved") {
    if (typeof rel.fixed_version !== "string" || rel.fixed_version === "") return undefined;
    return { ...base, state: "resolved", fixedVersion: rel.fixed_version };
  }
  if (rel.status !== "open" && rel.status !== "undetermined") return undefined;
  const ignored = typeof rel.nodsa_reason === "string" && rel.nodsa_reason.trim().toLowerCase() === "ignored";
  const eol = typeof rel.urgency === "string" && rel.urgency.trim().toLowerCase() === "end-of-life";
  return { ...base, state: ignored || eol ? "wont-fix" : "open" };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
