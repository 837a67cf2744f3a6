// The report's data: everything `cudaseal report` knows of one image (or two,
// side by side), gathered once into one JSON-serialisable value. The HTML
// page embeds it whole, the Markdown summary reads it, `--json` prints it, so
// the three can never disagree on a number.

import type { ImageStats } from "../compare/index.ts";

/** Severities of vulnerabilities, worst first (as scan has them). */
export type VulnSeverity = "critical" | "high" | "medium" | "low" | "negligible" | "unknown";
/** Severities of audit and lint findings, worst first (as the findings model has them). */
export type FindingSeverity = "critical" | "high" | "medium" | "low" | "info";

/** The whole report. */
export interface ReportData {
  /** Bumped when the shape changes incompatibly. */
  schemaVersion: 1;
  /** When the report was made, ISO 8601. */
  generated: string;
  /** The image the report is about first; with --compare, the image it is compared against second. */
  images: ImageReport[];
  /** Present with --compare: the first image relative to the second. */
  compare?: CompareDelta;
  /** Present with --lint: the Dockerfile's findings. */
  lint?: { path: string; findings: FindingRow[] };
  /** Where the vulnerability data came from; absent when none was read. */
  database?: { format: string; source: string; ageSeconds?: number };
  /** Things that did not stop the report but should be seen. */
  warnings: string[];
}

/** One image, every view of it. */
export interface ImageReport {
  ref: string;
  digest: string;
  platform: string;
  created?: string;
  /** The numbers `cudaseal compare` gives, CVE counts included when scanned. */
  stats: ImageStats;
  cuda: { version?: string; driver?: string; requirement?: string };
  /** The final file system, layer → package → folder → file, sizes in bytes. */
  tree: TreeNode;
  layers: LayerInfo[];
  vulnerabilities: VulnSection;
  audit: { findings: FindingRow[]; counts: Record<FindingSeverity, number> };
  /** Packages and bytes per licence expression, most packages first. */
  licenses: { license: string; packages: number; size: number }[];
  signatures: SignatureStatus;
}

/** A node of the composition tree. `size` of a node with children is their sum. */
export interface TreeNode {
  name: string;
  kind: "image" | "layer" | "package" | "folder" | "file" | "rest";
  size: number;
  /** A CUDA or NVIDIA library (package or file), highlighted. */
  cuda?: true;
  children?: TreeNode[];
}

/** What one layer added to the final file system. */
export interface LayerInfo {
  index: number;
  digest: string;
  /** The layer as stored. */
  compressedSize: number;
  /** The history's created_by for this layer, when the config has one. */
  createdBy?: string;
  /** Regular files of the final file system this layer holds, and their bytes. */
  files: number;
  size: number;
  /** The packages (or `(no package)`) with the most bytes in this layer, largest first. */
  topPackages: { name: string; size: number }[];
}

/** A vulnerability row. */
export interface VulnRow {
  id: string;
  severity: VulnSeverity;
  package: string;
  installed: string;
  fixedVersion?: string;
  status: "fixed" | "open" | "wont-fix";
  ecosystem: "debian" | "pypi";
  /** The advisory's page. */
  url: string;
  description: string;
  /** In CISA's Known Exploited Vulnerabilities catalogue; absent when unknown (no KEV data is read yet). */
  kev?: boolean;
}

export interface VulnSection {
  /** False when no data was matched; `reason` says why. */
  scanned: boolean;
  reason?: string;
  release?: string;
  findings: VulnRow[];
  /** Per severity: findings with a fix, without one (open or wont-fix). */
  counts: Record<VulnSeverity, { fixed: number; open: number }>;
  suppressed: number;
}

/** An audit or lint finding row. */
export interface FindingRow {
  id: string;
  severity: FindingSeverity;
  title: string;
  message: string;
  fix: string;
  /** A path, config field or line where it was seen. */
  where?: string;
}

/** What signatures sit beside the image; found, not verified (verify needs a key). */
export interface SignatureStatus {
  /** False where the image's transport cannot hold signatures or they could not be looked up. */
  checked: boolean;
  reason?: string;
  /** cosign signatures (layers of the `.sig` manifest, and sign/v1 bundle referrers). */
  signatures: number;
  /** cosign attestations (layers of the `.att` manifest, and the other bundle referrers). */
  attestations: number;
  /** OCI 1.1 referrers of the image's manifest (bundles among them). */
  referrers: number;
}

/** The first image relative to the second. */
export interface CompareDelta {
  compressedSize: number;
  uncompressedSize: number;
  files: number;
  packages: {
    added: { name: string; version: string }[];
    removed: { name: string; version: string }[];
    changed: { name: string; from: string; to: string }[];
  };
  /** Per severity, the first image's CVEs less the second's; absent when either was not scanned. */
  cves?: Record<VulnSeverity, number>;
  checklist: ChecklistItem[];
}

/** One hardening check, for both images. */
export interface ChecklistItem {
  check: "non-root user" | "no shell" | "no package manager" | "no setuid/setgid files";
  /** Pass per image, in the order of `images`. */
  pass: boolean[];
  /** What was found per image (`root`, `/bin/sh`, `apt, dpkg`, a count). */
  found: string[];
}

export const VULN_SEVERITIES: readonly VulnSeverity[] = [
  "critical",
  "high",
  "medium",
  "low",
  "negligible",
  "unknown",
];
export const FINDING_SEVERITIES: readonly FindingSeverity[] = ["critical", "high", "medium", "low", "info"];
