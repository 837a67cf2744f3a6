// OSV records (the schema osv.dev publishes) for Debian and PyPI:
// `affected[]` names the source package and an ecosystem of `Debian` or
// `Debian:<major>`, or a Python distribution and `PyPI`, and ECOSYSTEM ranges
// give the versions as `introduced`/`fixed` events (and, for PyPI,
// `last_affected`, and the `versions` list of affected releases). Withdrawn
// records count for nothing. Only
// plain severity words are read (`database_specific.severity`,
// `ecosystem_specific.urgency`); CVSS vectors are left as unknown. Malformed
// records and ranges are skipped.

import { normalizeName } from "../python/index.ts";
import { type Advisory, type Severity, severityFromWord } from "./advisory.ts";
import { codenameOf } from "./debian-release.ts";

export interface OsvOptions {
  /** Keep only this release's entries (a codename); all when absent. */
  release?: string;
}

/** True when `data` is one OSV record. */
export function isOsvRecord(data: unknown): data is Record<string, unknown> {
  return isObject(data) && typeof data.id === "string" && Array.isArray(data.affected);
}

/** The Debian advisories of one parsed OSV record; none when it is malformed. */
export function osvAdvisories(record: unknown, options: OsvOptions = {}): Advisory[] {
  if (!isOsvRecord(record) || (typeof record.withdrawn === "string" && record.withdrawn !== "")) return [];
  const id = record.id as string;
  const description =
    typeof record.summary === "string" && record.summary !== ""
      ? record.summary
      : typeof record.details === "string"
        ? record.details
        : "";
  const recordSeverity = severityOf(record);
  const out: Advisory[] = [];
  for (const affected of record.affected as unknown[]) {
    if (!isObject(affected) || !isObject(affected.package)) continue;
    const { ecosystem, name } = affected.package;
    if (typeof ecosystem !== "string" || typeof name !== "string" || name === "") continue;
    const own = severityOf(affected);
    const severity = own !== "unknown" ? own : recordSeverity;
    if (ecosystem === "PyPI") {
      out.push(...pypiAdvisories(affected, { id, source: normalizeName(name), severity, description }));
      continue;
    }
    const m = /^Debian(?::(\d+))?$/.exec(ecosystem);
    if (!m) continue;
    const release = m[1] === undefined ? undefined : codenameOf(m[1]);
    if (m[1] !== undefined && release === undefined) continue;
    if (options.release !== undefined && release !== undefined && release !== options.release) continue;
    const base = { id, source: name, release, severity, description };
    for (const range of Array.isArray(affected.ranges) ? affected.ranges : []) {
      if (!isObject(range) || range.type !== "ECOSYSTEM" || !Array.isArray(range.events)) continue;
      out.push(...rangeAdvisories(range.events, base));
    }
  }
  return out;
}

/** Each `introduced` event opens an interval that the next `fixed` closes, or none. */
function rangeAdvisories(events: unknown[], base: Omit<Advisory, "state">): Advisory[] {
  const out: Advisory[] = [];
  let introduced: string | undefined;
  for (const e of events) {
    if (!isObject(e)) continue;
    if (typeof e.introduced === "string") {
      if (introduced !== undefined) out.push({ ...base, state: "open", introduced });
      introduced = e.introduced;
    } else if (typeof e.fixed === "string" && introduced !== undefined) {
      out.push({ ...base, state: "resolved", introduced, fixedVersion: e.fixed });
      introduced = undefined;
    } else if (typeof e.last_affected === "string" && introduced !== undefined && base.ecosystem === "PyPI") {
      out.push({ ...base, state: "open", introduced, lastAffected: e.last_affected });
      introduced = undefined;
    }
  }
  if (introduced !== undefined) out.push({ ...base, state: "open", introduced });
  return out;
}

/**
 * A PyPI entry's advisories: its ECOSYSTEM ranges (an interval may end at a
 * `last_affected` release instead of a fix) and its `versions` list.
 * Versions are kept as written; matching reads them as PEP 440.
 */
function pypiAdvisories(
  affected: Record<string, unknown>,
  base: Omit<Advisory, "state" | "release">,
): Advisory[] {
  const out: Advisory[] = [];
  const pypi = { ...base, ecosystem: "PyPI" as const };
  for (const range of Array.isArray(affected.ranges) ? affected.ranges : []) {
    if (!isObject(range) || range.type !== "ECOSYSTEM" || !Array.isArray(range.events)) continue;
    out.push(...rangeAdvisories(range.events, pypi));
  }
  const versions = Array.isArray(affected.versions)
    ? affected.versions.filter((v): v is string => typeof v === "string" && v !== "")
    : [];
  if (versions.length > 0) out.push({ ...pypi, state: "open", versions });
  return out;
}

function severityOf(o: Record<string, unknown>): Severity {
  for (const key of ["database_specific", "ecosystem_specific"]) {
    const v = o[key];
    if (!isObject(v)) continue;
    const s = severityFromWord(v.severity ?? v.urgency);
    if (s !== "unknown") return s;
  }
  // A bare numeric score is simple to bucket; vectors would need a CVSS calculator.
  for (const s of Array.isArray(o.severity) ? o.severity : []) {
    if (!isObject(s) || typeof s.score !== "string" || !/^\d+(\.\d+)?$/.test(s.score)) continue;
    const n = Number(s.score);
    return n >= 9 ? "critical" : n >= 7 ? "high" : n >= 4 ? "medium" : n > 0 ? "low" : "negligible";
  }
  return "unknown";
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
