// CISA's Known Exploited Vulnerabilities catalog, as CISA publishes it
// (known_exploited_vulnerabilities.json, schema v1 of its kev repository):
//
//   { "title", "catalogVersion", "dateReleased", "count",
//     "vulnerabilities": [ { "cveID", "vendorProject", "product",
//       "vulnerabilityName", "dateAdded", "shortDescription",
//       "requiredAction", "dueDate", "knownRansomwareCampaignUse",
//       "notes", "cwes" } ] }
//
// Only what prioritising needs is kept: which CVEs are in it, when each was
// added, its due date and whether ransomware campaigns use it. The file is
// hostile input; anything not of this shape is FEED_INVALID.

import { CudasealError } from "../errors.ts";

/** One catalog entry, as much of it as a finding carries. */
export interface KevEntry {
  dateAdded: string;
  dueDate?: string;
  /** `knownRansomwareCampaignUse` is "Known". */
  ransomware: boolean;
  name?: string;
}

/** The catalog: its version and release date, and its entries by CVE id. */
export interface KevCatalog {
  catalogVersion?: string;
  dateReleased?: string;
  entries: ReadonlyMap<string, KevEntry>;
}

const CVE = /^CVE-\d{4}-\d{4,}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** More entries than this is no KEV catalog (it holds about 1,500). */
const MAX_ENTRIES = 1_000_000;

/** The catalog in `bytes`; `label` names the file or URL in errors. */
export function parseKev(bytes: Uint8Array, label: string): KevCatalog {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (cause) {
    throw invalid(label, "is not JSON", cause);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc))
    throw invalid(label, "is not a JSON object");
  const { vulnerabilities, catalogVersion, dateReleased } = doc as Record<string, unknown>;
  if (!Array.isArray(vulnerabilities)) throw invalid(label, "has no vulnerabilities array");
  if (vulnerabilities.length > MAX_ENTRIES)
    throw invalid(label, `lists ${vulnerabilities.length} vulnerabilities, more than ${MAX_ENTRIES}`);
  const entries = new Map<string, KevEntry>();
  vulnerabilities.forEach((v, i) => {
    if (typeof v !== "object" || v === null) throw invalid(label, `vulnerability ${i} is not an object`);
    const e = v as Record<string, unknown>;
    if (typeof e.cveID !== "string" || !CVE.test(e.cveID))
      throw invalid(label, `vulnerability ${i} has no cveID of the form CVE-YYYY-NNNN`);
    if (typeof e.dateAdded !== "string" || !DATE.test(e.dateAdded))
      throw invalid(label, `${e.cveID} has no dateAdded of the form YYYY-MM-DD`);
    entries.set(e.cveID, {
      dateAdded: e.dateAdded,
      ...(typeof e.dueDate === "string" && DATE.test(e.dueDate) ? { dueDate: e.dueDate } : {}),
      ransomware: e.knownRansomwareCampaignUse === "Known",
      ...(typeof e.vulnerabilityName === "string" ? { name: e.vulnerabilityName.slice(0, 200) } : {}),
    });
  });
  return {
    ...(typeof catalogVersion === "string" ? { catalogVersion } : {}),
    ...(typeof dateReleased === "string" ? { dateReleased } : {}),
    entries,
  };
}

function invalid(label: string, what: string, cause?: unknown): CudasealError {
  return new CudasealError("FEED_INVALID", `${label} ${what}: not CISA's KEV catalog`, {
    hint: "pass known_exploited_vulnerabilities.json as CISA publishes it",
    cause,
  });
}
