// What a benchmark run prints: the table of medians, the ratios between
// rows, and the targets with PASS or FAIL. Pure: rows in, text and data out.

import { median, type Sample } from "./measure.ts";

/** One configuration's runs. */
export interface Row {
  id: string;
  label: string;
  command: string;
  samples: Sample[];
  /** Bytes written per run; null where the row writes nowhere (the floor). */
  outputBytes: (number | null)[];
  /** Per-run details a row's kind adds (cudaseal's stages and layer counts). */
  details: unknown[];
  error?: string;
}

export interface Medians {
  wallS: number;
  cpuS: number;
  peakRssKiB: number;
  outputBytes: number | null;
}

export interface Target {
  name: string;
  limit: string;
  value: string;
  verdict: "PASS" | "FAIL" | "n/a";
}

export const TARGETS = {
  coldVsPeer: 1.0,
  coldVsFloor: 1.3,
  warmS: 3,
  peakRssMiB: 512,
} as const;

/** The median of each figure over a row's successful runs. */
export function medians(row: Row): Medians | undefined {
  const ok = row.samples.map((s, i) => ({ s, bytes: row.outputBytes[i] })).filter((r) => r.s.exitCode === 0);
  if (ok.length === 0) return undefined;
  const bytes = ok.map((r) => r.bytes).filter((b): b is number => b !== null);
  return {
    wallS: median(ok.map((r) => r.s.wallS)),
    cpuS: median(ok.map((r) => r.s.cpuS)),
    peakRssKiB: median(ok.map((r) => r.s.peakRssKiB)),
    outputBytes: bytes.length > 0 ? median(bytes) : null,
  };
}

/** The ratios the benchmark reports (cold vs peer, warm vs cold, zstd vs gzip…); undefined where a row did not run. */
export function ratios(rows: readonly Row[]) {
  const m = (id: string) => {
    const row = rows.find((r) => r.id === id);
    return row ? medians(row) : undefined;
  };
  const div = (a?: number | null, b?: number | null) => (a != null && b != null && b > 0 ? a / b : undefined);
  const [cold, peer, floor, warm, zstd, gzip6] = ["a", "b", "c", "d", "e", "f"].map(m);
  return {
    coldVsPeerWall: div(cold?.wallS, peer?.wallS),
    coldVsPeerCpu: div(cold?.cpuS, peer?.cpuS),
    coldVsFloorWall: div(cold?.wallS, floor?.wallS),
    coldVsFloorCpu: div(cold?.cpuS, floor?.cpuS),
    warmWallS: warm?.wallS,
    zstdVsColdWall: div(zstd?.wallS, cold?.wallS),
    zstdVsColdSize: div(zstd?.outputBytes, cold?.outputBytes),
    gzip6VsGzip1Wall: div(gzip6?.wallS, cold?.wallS),
    gzip6VsGzip1Size: div(gzip6?.outputBytes, cold?.outputBytes),
  };
}

/** The targets, judged on the medians; the RSS target covers every cudaseal row that ran. */
export function targets(rows: readonly Row[], cudasealRows: readonly string[]): Target[] {
  const r = ratios(rows);
  const judge = (value: number | undefined, limit: number): Target["verdict"] =>
    value === undefined ? "n/a" : value <= limit ? "PASS" : "FAIL";
  const peaks = rows
    .filter((row) => cudasealRows.includes(row.id))
    .map((row) => medians(row)?.peakRssKiB)
    .filter((n): n is number => n !== undefined);
  const peakMiB = peaks.length > 0 ? Math.max(...peaks) / 1024 : undefined;
  return [
    {
      name: "cold vs peer (wall)",
      limit: `≤ ${TARGETS.coldVsPeer.toFixed(1)}×`,
      value: fmtRatio(r.coldVsPeerWall),
      verdict: judge(r.coldVsPeerWall, TARGETS.coldVsPeer),
    },
    {
      name: "cold vs floor (wall)",
      limit: `≤ ${TARGETS.coldVsFloor.toFixed(1)}×`,
      value: fmtRatio(r.coldVsFloorWall),
      verdict: judge(r.coldVsFloorWall, TARGETS.coldVsFloor),
    },
    {
      name: "warm rebuild (wall)",
      limit: `≤ ${TARGETS.warmS} s`,
      value: r.warmWallS === undefined ? "–" : `${r.warmWallS.toFixed(2)} s`,
      verdict: judge(r.warmWallS, TARGETS.warmS),
    },
    {
      name: "cudaseal peak RSS",
      limit: `≤ ${TARGETS.peakRssMiB} MiB`,
      value: peakMiB === undefined ? "–" : `${peakMiB.toFixed(0)} MiB`,
      verdict: judge(peakMiB, TARGETS.peakRssMiB),
    },
  ];
}

/** The markdown table of medians. */
export function formatTable(rows: readonly Row[]): string {
  const lines = [
    "| | configuration | wall s | CPU s (user+sys) | peak RSS MiB | output MB | runs |",
    "|---|---|--:|--:|--:|--:|--:|",
  ];
  for (const row of rows) {
    const label = row.label.replaceAll("|", "\\|");
    const m = medians(row);
    const ok = row.samples.filter((s) => s.exitCode === 0).length;
    const runs = ok === row.samples.length ? `${ok}` : `${ok}/${row.samples.length} ok`;
    if (!m) {
      lines.push(`| ${row.id} | ${label} | failed | | | | ${runs} |`);
      continue;
    }
    const out = m.outputBytes === null ? "–" : (m.outputBytes / 1e6).toFixed(1);
    lines.push(
      `| ${row.id} | ${label} | ${m.wallS.toFixed(2)} | ${m.cpuS.toFixed(2)} | ${(m.peakRssKiB / 1024).toFixed(0)} | ${out} | ${runs} |`,
    );
  }
  return lines.join("\n");
}

/** The ratios as a short list. */
export function formatRatios(rows: readonly Row[]): string {
  const r = ratios(rows);
  return [
    `- cold / peer: ${fmtRatio(r.coldVsPeerWall)} wall, ${fmtRatio(r.coldVsPeerCpu)} CPU`,
    `- cold / floor: ${fmtRatio(r.coldVsFloorWall)} wall, ${fmtRatio(r.coldVsFloorCpu)} CPU`,
    `- warm rebuild (contents changed): ${r.warmWallS === undefined ? "–" : `${r.warmWallS.toFixed(2)} s`}`,
    `- zstd / cold gzip: ${fmtRatio(r.zstdVsColdWall)} wall, ${fmtRatio(r.zstdVsColdSize)} size`,
    `- gzip -6 / gzip -1: ${fmtRatio(r.gzip6VsGzip1Size)} size, ${fmtRatio(r.gzip6VsGzip1Wall)} wall`,
  ].join("\n");
}

/** The targets as a markdown table. */
export function formatTargets(list: readonly Target[]): string {
  return [
    "| target | limit | measured | |",
    "|---|---|--:|---|",
    ...list.map((t) => `| ${t.name} | ${t.limit} | ${t.value} | ${t.verdict} |`),
  ].join("\n");
}

function fmtRatio(n: number | undefined): string {
  return n === undefined ? "–" : `${n.toFixed(2)}×`;
}
