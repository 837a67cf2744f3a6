// `cudaseal scan`: an image's known vulnerabilities from the Debian Security
// Tracker or OSV data, less what VEX and an ignore file suppress, rendered as
// a table, JSON, SARIF or Markdown. What others may use.

export {
  type Advisory,
  type AdvisoryState,
  type Finding,
  SEVERITIES,
  type Severity,
  severityFromWord,
  severityRank,
} from "./advisory.ts";
export { codenameOf, debianCodename } from "./debian-release.ts";
export { formatDuration, parseDuration } from "./duration.ts";
export { type EpssScore, type EpssScores, parseEpss } from "./epss.ts";
export { type IgnoreEntry, loadIgnoreFile } from "./ignore-file.ts";
export { type ImagePackages, readImagePackages } from "./image-packages.ts";
export { type KevCatalog, type KevEntry, parseKev } from "./kev.ts";
export { isKnownAdvisoryId, scanMarkdown } from "./markdown.ts";
export {
  type AdvisoryIndex,
  compareFindings,
  indexAdvisories,
  matchFindings,
  matchIndexed,
} from "./match.ts";
export {
  comparePriority,
  markFindings,
  type PrioritizedFinding,
  type PriorityFeeds,
} from "./priority.ts";
export {
  DEFAULT_EPSS_URL,
  DEFAULT_KEV_URL,
  type FeedInfo,
  type OpenedFeed,
  openEpss,
  openKev,
  type PriorityFeedOptions,
  PUBLISHED_FEED,
} from "./priority-feed.ts";
export { matchPythonFindings } from "./python-match.ts";
export {
  failsGate,
  findingsFooter as scanFooter,
  findingsTable as scanTable,
  gateFailures as scanGateFailures,
  recordKey,
  type ScanResult,
  scanJson,
  severityCounts,
} from "./report.ts";
export { SECURITY_SEVERITY, scanSarif } from "./sarif.ts";
export { type ScanOptions, scanImage } from "./scan-image.ts";
export { type SuppressedFinding, type Suppression, suppressFindings } from "./suppress.ts";
export { type DatabaseInfo, DEFAULT_MAX_DB_AGE_MS } from "./tracker-database.ts";
export { DEFAULT_TRACKER_URL } from "./tracker-download.ts";
export { loadVex, type VexStatement } from "./vex.ts";
export {
  type DatabaseOptions,
  type FeedOptions,
  openVulnerabilityDatabase,
  openVulnerabilityDatabases,
} from "./vulnerability-db.ts";
