// What a rescan prints: one row per image (where its data came from, its
// counts by severity and KEV, or its error code), then the fleet's findings
// most urgent first, each with how many images have it; JSON with all of
// it; and the gate: a severity (as scan's --fail-on), findings in the KEV
// catalog, and images that could not be rescanned.

import {
  comparePriority,
  type DatabaseInfo,
  formatDuration,
  type PrioritizedFinding,
  type Severity,
  scanGateFailures,
  severityCounts,
} from "../scan/index.ts";
import { textTable } from "../util/text-table.ts";
import type { RescannedImage, RescanResult } from "./rescan.ts";

/** One finding across the fleet: the first image's finding, and every image that has it. */
export interface FleetFinding {
  finding: PrioritizedFinding;
  /** `ref` (with ` linux/arm64` for a platform of an index) of each image that has it. */
  images: string[];
}

/** An image as a summary names it: the reference, and its platform when it is one of an index's. */
export function imageLabel(image: RescannedImage): string {
  return image.platform === undefined ? image.ref : `${image.ref} ${image.platform}`;
}

/** The findings of every image, one per id, package and version, most urgent first. */
export function fleetFindings(result: RescanResult): FleetFinding[] {
  const byKey = new Map<string, FleetFinding>();
  for (const image of result.images) {
    for (const f of image.findings) {
      const key = `${f.id}\0${f.package}\0${f.installed}`;
      const seen = byKey.get(key);
      if (seen) seen.images.push(imageLabel(image));
      else byKey.set(key, { finding: f, images: [imageLabel(image)] });
    }
  }
  return [...byKey.values()].sort(
    (a, b) => comparePriority(a.finding, b.finding) || b.images.length - a.images.length,
  );
}

const IMAGE_HEADERS = [
  "IMAGE",
  "FROM",
  "RELEASE",
  "KEV",
  "CRITICAL",
  "HIGH",
  "MEDIUM",
  "LOW",
  "OTHER",
  "ERROR",
];
const FINDING_HEADERS = ["ID", "KEV", "EPSS", "SEVERITY", "PACKAGE", "INSTALLED", "FIXED", "IMAGES"];

/** The images table, then the `top` most urgent findings across them. */
export function rescanTable(result: RescanResult, top = 20): string {
  const rows = result.images.map((image) => {
    if (image.error) return [imageLabel(image), "-", "-", "-", "-", "-", "-", "-", "-", image.error.code];
    const c = severityCounts(image.findings);
    return [
      imageLabel(image),
      image.via === "sbom" ? `sbom (${image.sbomFormat})` : "layers",
      image.release ?? "-",
      String(image.findings.filter((f) => f.kev).length),
      String(c.critical),
      String(c.high),
      String(c.medium),
      String(c.low),
      String(c.negligible + c.unknown),
      "-",
    ];
  });
  const sections = [textTable(IMAGE_HEADERS, rows)];
  const fleet = fleetFindings(result);
  if (fleet.length > 0) {
    const shown = fleet.slice(0, top);
    sections.push(
      `Most urgent findings (${shown.length} of ${fleet.length}; --format json lists all):\n` +
        textTable(FINDING_HEADERS, shown.map(findingRow)),
    );
  }
  return sections.join("\n\n");
}

function findingRow({ finding: f, images }: FleetFinding): string[] {
  return [
    f.id,
    f.kev ? (f.kev.ransomware ? "yes (ransomware)" : "yes") : "-",
    f.epss ? f.epss.score.toFixed(3) : "-",
    f.severity,
    f.package,
    f.installed,
    f.fixedVersion ?? "-",
    String(images.length),
  ];
}

/** The lines under the tables: counts, where the data came from, and how old it is. */
export function rescanFooter(result: RescanResult): string {
  const ok = result.images.filter((i) => !i.error);
  const viaSbom = ok.filter((i) => i.via === "sbom").length;
  const lines = [
    `Images: ${result.images.length} (${viaSbom} from their SBOM, ${ok.length - viaSbom} from their layers, ${result.images.length - ok.length} failed)`,
  ];
  const db = result.database;
  if (db) lines.push(`Database: ${databaseLine(db)}`);
  return lines.join("\n");
}

/** `debian-tracker from URL, 2h old`. */
export function databaseLine(db: DatabaseInfo): string {
  const age = db.ageSeconds === undefined ? "" : `, ${formatDuration(db.ageSeconds * 1000)} old`;
  return `${db.format} from ${db.source}${age}`;
}

/**
 * The rescan as one JSON document, in pieces to write one after another:
 * totals and where the data came from, then every image with its findings,
 * one line each, then the fleet's findings, one line each. A fleet's
 * document is large (a thousand images, hundreds of findings each), so it
 * is never one string in memory, and the bulk is not indented. An image's
 * findings leave out the description and source package, which the fleet's
 * entry for the same finding has once.
 */
export function* rescanJsonChunks(
  result: RescanResult,
  extra: Record<string, unknown> = {},
): Generator<string> {
  const all = result.images.flatMap((i) => i.findings);
  const head = {
    ...extra,
    database: result.database,
    summary: {
      images: result.images.length,
      failed: result.images.filter((i) => i.error).length,
      fromSbom: result.images.filter((i) => i.via === "sbom").length,
      fromLayers: result.images.filter((i) => i.via === "layers").length,
      findings: severityCounts(all),
      kev: all.filter((f) => f.kev).length,
    },
    expiredIgnores: result.expiredIgnores.map(({ id, package: pkg, expires, file }) => ({
      id,
      package: pkg,
      expires,
      file,
    })),
    warnings: result.warnings,
  };
  yield `${JSON.stringify(head, null, 2).replace(/\n}$/, "")},\n  "images": [\n`;
  let first = true;
  for (const i of result.images) {
    const image = {
      ...i,
      summary: severityCounts(i.findings),
      findings: i.findings.map(({ description: _d, source: _s, ...f }) => f),
    };
    yield `${first ? "" : ",\n"}    ${JSON.stringify(image)}`;
    first = false;
  }
  yield '\n  ],\n  "fleet": [\n';
  first = true;
  for (const { finding, images } of fleetFindings(result)) {
    yield `${first ? "" : ",\n"}    ${JSON.stringify({ ...finding, images: images.length })}`;
    first = false;
  }
  yield "\n  ]\n}\n";
}

export interface RescanGate {
  /** Fail on findings this severe or worse. */
  failOn?: Severity;
  /** With failOn: only findings a fix exists for. */
  onlyFixed?: boolean;
  /** Fail on any finding in the KEV catalog. */
  failOnKev?: boolean;
}

/** Why the gate fails: counts of each reason (all zero when it passes). */
export interface GateVerdict {
  severity: number;
  kev: number;
  /** Images that could not be rescanned: a gate cannot pass what it did not see. */
  errors: number;
  failed: boolean;
}

/** The gate's verdict over every image. */
export function rescanGate(result: RescanResult, gate: RescanGate): GateVerdict {
  const all = result.images.flatMap((i) => i.findings);
  const severity =
    gate.failOn === undefined ? 0 : scanGateFailures(all, gate.failOn, gate.onlyFixed === true).length;
  const kev = gate.failOnKev ? all.filter((f) => f.kev).length : 0;
  const errors = result.images.filter((i) => i.error).length;
  return { severity, kev, errors, failed: severity > 0 || kev > 0 || errors > 0 };
}
