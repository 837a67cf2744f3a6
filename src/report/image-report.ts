// One image's report: read its layers once for the composition, packages,
// licences and numbers; then scan it (when vulnerability data was asked for
// and it is Debian), audit it, and look for its signatures. Scan and audit
// each read the image again through their own entries, so the report says
// exactly what `cudaseal scan` and `cudaseal audit` say.

import { auditImage } from "../audit/index.ts";
import { imageStats } from "../compare/index.ts";
import { inStage } from "../errors.ts";
import type { Finding } from "../findings/index.ts";
import { minimumDriverFor, parseRequireCuda } from "../image/cuda-compat.ts";
import { distroOf, osReleaseOf, packageLicenses, sbomFileWanted } from "../sbom/index.ts";
import {
  type DatabaseInfo,
  type DatabaseOptions,
  debianCodename,
  scanImage,
  type Finding as VulnFinding,
} from "../scan/index.ts";
import { readFilesystem } from "../source/filesystem.ts";
import { type OpenedImage, openImage } from "../source/image-source.ts";
import { type InstalledPackage, installedPackages } from "../source/packages.ts";
import { type PythonPackage, pythonPackages } from "../source/python-packages.ts";
import { composition } from "./composition.ts";
import {
  FINDING_SEVERITIES,
  type FindingRow,
  type ImageReport,
  type TreeNode,
  VULN_SEVERITIES,
  type VulnRow,
  type VulnSection,
  type VulnSeverity,
} from "./model.ts";
import { signatureStatus } from "./signatures.ts";

/** Advisory texts are for a glance; the advisory page has the rest. */
const MAX_DESCRIPTION = 240;

export interface ImageReportOptions {
  arch?: string;
  /** Where vulnerability data comes from; absent: no CVEs are matched and nothing is fetched. */
  database?: DatabaseOptions;
  /** An audit policy file. */
  policy?: string;
  now?: () => Date;
}

/** Everything the report shows of `ref`, and the vulnerability data it was matched against. */
export async function imageReport(
  ref: string,
  options: ImageReportOptions,
): Promise<{
  report: ImageReport;
  packages: { name: string; version: string }[];
  database?: DatabaseInfo;
  warnings: string[];
}> {
  const read = await readImage(ref, options.arch).catch((err: unknown) => {
    throw inStage(`read ${ref}`, err);
  });
  const { image, packages, python, osRelease, licenses: copyrights } = read;
  const stats = imageStats(ref, image, read.fs, packages, python);
  const { tree, layers } = composition({
    fs: read.fs,
    packages,
    python,
    layers: image.layers,
    config: image.config,
    name: ref,
    cudaPackages: new Set(stats.cudaLibraries.map((l) => l.name)),
  });
  const scan = await scanned(ref, osRelease, options);
  if (scan.section.scanned) {
    const counts = scan.section.counts;
    stats.cves = Object.fromEntries(
      VULN_SEVERITIES.map((s) => [s, counts[s].fixed + counts[s].open]),
    ) as Record<VulnSeverity, number>;
  }
  const audit = await auditImage(ref, {
    arch: options.arch,
    policy: options.policy,
    now: options.now?.(),
  }).catch((err: unknown) => {
    throw inStage(`audit ${ref}`, err);
  });
  const auditRows = findingRows(audit.report.findings);
  const config = image.config as { architecture?: unknown; os?: unknown; created?: unknown };
  const report: ImageReport = {
    ref,
    digest: image.manifestDigest,
    platform: `${String(config.os ?? "linux")}/${String(config.architecture ?? "unknown")}`,
    ...(typeof config.created === "string" ? { created: config.created } : {}),
    stats,
    cuda: cudaFacts(image, audit.report.properties?.cudaRuntime),
    tree,
    layers,
    vulnerabilities: scan.section,
    audit: { findings: auditRows, counts: findingCounts(auditRows) },
    licenses: licenseTotals(packages, python, copyrights, tree),
    signatures: await signatureStatus(ref),
  };
  const warnings = [
    ...scan.warnings,
    ...audit.unknownPolicyRules.map((id) => `the policy names ${id}, which audit does not have`),
  ];
  const names = [
    ...packages.map((p) => ({ name: p.name, version: p.version })),
    ...python.map((p) => ({ name: `${p.name} (Python)`, version: p.version })),
  ];
  return { report, packages: names, database: scan.database, warnings };
}

interface ReadImage {
  image: OpenedImage;
  fs: Awaited<ReturnType<typeof readFilesystem>>;
  packages: InstalledPackage[];
  python: PythonPackage[];
  osRelease: string;
  /** Package name → licence expression its machine-readable copyright file declares. */
  licenses: Map<string, string>;
}

async function readImage(ref: string, arch: string | undefined): Promise<ReadImage> {
  const image = await openImage(ref, { arch });
  const fs = await readFilesystem(image, {
    origin: ref,
    want: sbomFileWanted,
  });
  // As `cudaseal sbom` reads them: a doc folder that links to another package's counts.
  const packages = installedPackages(fs);
  const dpkg = packages.filter((p) => p.manager === "dpkg").map((p) => p.name);
  const licenses = new Map<string, string>();
  for (const [name, found] of packageLicenses(fs, dpkg)) licenses.set(name, found.expression);
  const osRelease = (osReleaseOf(fs.contents) ?? "").toString();
  return { image, fs, packages, python: pythonPackages(fs), osRelease, licenses };
}

/** The scan's findings as rows, or why there are none. */
async function scanned(
  ref: string,
  osRelease: string,
  options: ImageReportOptions,
): Promise<{ section: VulnSection; database?: DatabaseInfo; warnings: string[] }> {
  const empty = (reason: string): VulnSection => ({
    scanned: false,
    reason,
    findings: [],
    counts: vulnCounts([]),
    suppressed: 0,
  });
  if (options.database === undefined) {
    return { section: empty("no vulnerability data was asked for"), warnings: [] };
  }
  const release = distroOf(osRelease).id === "debian" ? debianCodename(osRelease) : undefined;
  if (release === undefined) {
    return { section: empty("the image is not a Debian release cudaseal knows"), warnings: [] };
  }
  const result = await scanImage(ref, { ...options.database, release, now: options.now });
  const findings = result.findings.map(vulnRow);
  return {
    section: {
      scanned: true,
      release: result.release,
      findings,
      counts: vulnCounts(findings),
      suppressed: result.suppressed?.length ?? 0,
    },
    database: result.database,
    warnings: result.warnings ?? [],
  };
}

function vulnRow(f: VulnFinding): VulnRow {
  const pypi = f.ecosystem === "PyPI";
  return {
    id: f.id,
    severity: f.severity,
    package: f.package,
    installed: f.installed,
    ...(f.fixedVersion === undefined ? {} : { fixedVersion: f.fixedVersion }),
    status: f.status,
    ecosystem: pypi ? "pypi" : "debian",
    url: pypi
      ? `https://osv.dev/vulnerability/${encodeURIComponent(f.id)}`
      : `https://security-tracker.debian.org/tracker/${encodeURIComponent(f.id)}`,
    description:
      f.description.length > MAX_DESCRIPTION
        ? `${f.description.slice(0, MAX_DESCRIPTION - 1)}…`
        : f.description,
  };
}

function vulnCounts(rows: readonly VulnRow[]): VulnSection["counts"] {
  const counts = Object.fromEntries(
    VULN_SEVERITIES.map((s) => [s, { fixed: 0, open: 0 }]),
  ) as VulnSection["counts"];
  for (const r of rows) counts[r.severity][r.status === "fixed" ? "fixed" : "open"]++;
  return counts;
}

/** Audit or lint findings as rows, worst first (the order within a severity kept). */
export function findingRows(findings: readonly Finding[]): FindingRow[] {
  const rank = (f: Finding) => FINDING_SEVERITIES.indexOf(f.severity);
  return [...findings].sort((a, b) => rank(a) - rank(b)).map(findingRow);
}

/** An audit or lint finding as a row. */
function findingRow(f: Finding): FindingRow {
  const e = f.evidence;
  const where =
    e.path !== undefined
      ? `${e.path}${e.line !== undefined ? `:${e.line}` : ""}${e.layer !== undefined ? ` (layer ${e.layer})` : ""}`
      : e.field;
  return {
    id: f.id,
    severity: f.severity,
    title: f.title,
    message: f.message,
    fix: f.fix,
    ...(where === undefined ? {} : { where }),
  };
}

function findingCounts(rows: readonly FindingRow[]): ImageReport["audit"]["counts"] {
  const counts = Object.fromEntries(FINDING_SEVERITIES.map((s) => [s, 0])) as ImageReport["audit"]["counts"];
  for (const r of rows) counts[r.severity]++;
  return counts;
}

/** The CUDA version the image declares (NVIDIA_REQUIRE_CUDA, CUDA_VERSION) or holds, and the driver it needs. */
function cudaFacts(image: OpenedImage, runtime: unknown): ImageReport["cuda"] {
  const env = ((image.config.config as { Env?: unknown } | undefined)?.Env ?? []) as unknown[];
  const get = (name: string) =>
    env
      .filter((e): e is string => typeof e === "string" && e.startsWith(`${name}=`))
      .map((e) => e.slice(name.length + 1))
      .at(-1);
  const requirement = get("NVIDIA_REQUIRE_CUDA");
  let version: string | undefined;
  try {
    version = requirement === undefined ? undefined : parseRequireCuda(requirement).cuda;
  } catch {
    version = undefined;
  }
  version ??= get("CUDA_VERSION") ?? (typeof runtime === "string" ? runtime : undefined);
  let driver: string | undefined;
  try {
    driver = version === undefined ? undefined : minimumDriverFor(version).full;
  } catch {
    driver = undefined;
  }
  return {
    ...(version === undefined ? {} : { version }),
    ...(driver === undefined ? {} : { driver }),
    ...(requirement === undefined ? {} : { requirement }),
  };
}

/** Packages and their bytes per licence; a package whose licence is not known counts as `unknown`. */
function licenseTotals(
  packages: readonly InstalledPackage[],
  python: readonly PythonPackage[],
  copyrights: ReadonlyMap<string, string>,
  tree: TreeNode,
): ImageReport["licenses"] {
  const sizes = new Map<string, number>();
  for (const layer of tree.children ?? []) {
    for (const p of layer.children ?? []) sizes.set(p.name, (sizes.get(p.name) ?? 0) + p.size);
  }
  const totals = new Map<string, { packages: number; size: number }>();
  const add = (license: string, size: number) => {
    const t = totals.get(license) ?? { packages: 0, size: 0 };
    t.packages++;
    t.size += size;
    totals.set(license, t);
  };
  for (const p of packages) add(p.license ?? copyrights.get(p.name) ?? "unknown", sizes.get(p.name) ?? 0);
  for (const p of python) {
    add(
      p.licenseExpression ?? p.license?.split("\n")[0].slice(0, 80) ?? "unknown",
      sizes.get(`${p.name} (Python)`) ?? 0,
    );
  }
  return [...totals]
    .map(([license, t]) => ({ license, ...t }))
    .sort((a, b) => b.packages - a.packages || b.size - a.size || (a.license < b.license ? -1 : 1));
}
