// FIRST's Exploit Prediction Scoring System scores, as its daily CSV is
// published (epss_scores-current.csv.gz, gzip optional here):
//
//   #model_version:v2025.03.14,score_date:2026-12-06T12:55:00Z
//   cve,epss,percentile
//   CVE-1999-0001,0.01141,0.77678
//
// The comment line says which model scored the CVEs and on what day; the
// columns are found by the header's names. A score is the probability of
// exploitation activity in the next 30 days, 0 to 1. The file is hostile
// input: a line that is not of this shape is FEED_INVALID, with its number.

import { gunzipSync } from "node:zlib";
import { CudasealError } from "../errors.ts";

/** One CVE's score and percentile, each 0 to 1. */
export interface EpssScore {
  score: number;
  percentile: number;
}

/** The scores, and the model and day that made them. */
export interface EpssScores {
  modelVersion?: string;
  scoreDate?: string;
  scores: ReadonlyMap<string, EpssScore>;
}

const CVE = /^CVE-\d{4}-\d{4,}$/;
/** Decompressed, the published file is about 10 MB; more than this is not it. */
const MAX_TEXT = 256 * 1024 * 1024;
const MAX_ROWS = 5_000_000;

/** The scores in `bytes` (CSV, or gzip of it); `label` names the file or URL in errors. */
export function parseEpss(bytes: Uint8Array, label: string): EpssScores {
  let data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (data[0] === 0x1f && data[1] === 0x8b) {
    try {
      data = gunzipSync(data, { maxOutputLength: MAX_TEXT });
    } catch (cause) {
      throw invalid(label, "is gzip that does not decompress (or decompresses past 256 MiB)", cause);
    }
  }
  const text = data.toString("utf8");
  const meta: Record<string, string> = {};
  const scores = new Map<string, EpssScore>();
  let columns: { cve: number; epss: number; percentile: number } | undefined;
  let lineNo = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const line = text
      .slice(start, end)
      .replace(/\r$/, "")
      .replace(/^\uFEFF/, "");
    start = end + 1;
    lineNo++;
    if (line === "") continue;
    if (line.startsWith("#")) {
      // `#model_version:v2025.03.14,score_date:…`, or one key per comment line.
      for (const part of line.slice(1).split(",")) {
        const colon = part.indexOf(":");
        if (colon > 0) meta[part.slice(0, colon).trim()] = part.slice(colon + 1).trim();
      }
      continue;
    }
    const cells = line.split(",");
    if (columns === undefined) {
      const names = cells.map((c) => c.trim().toLowerCase());
      columns = {
        cve: names.indexOf("cve"),
        epss: names.indexOf("epss"),
        percentile: names.indexOf("percentile"),
      };
      if (columns.cve < 0 || columns.epss < 0 || columns.percentile < 0)
        throw invalid(label, `line ${lineNo} is no header naming cve, epss and percentile`);
      continue;
    }
    const cve = cells[columns.cve]?.trim();
    const score = Number(cells[columns.epss]);
    const percentile = Number(cells[columns.percentile]);
    if (cve === undefined || !CVE.test(cve))
      throw invalid(label, `line ${lineNo} names no CVE (CVE-YYYY-NNNN)`);
    if (!inUnit(score) || !inUnit(percentile))
      throw invalid(label, `line ${lineNo}: the score and percentile must be numbers from 0 to 1`);
    if (scores.size >= MAX_ROWS) throw invalid(label, `has more than ${MAX_ROWS} rows`);
    scores.set(cve, { score, percentile });
  }
  if (columns === undefined) throw invalid(label, "has no header line (cve,epss,percentile)");
  return {
    ...(meta.model_version ? { modelVersion: meta.model_version } : {}),
    ...(meta.score_date ? { scoreDate: meta.score_date } : {}),
    scores,
  };
}

function inUnit(n: number): boolean {
  return Number.isFinite(n) && n >= 0 && n <= 1;
}

function invalid(label: string, what: string, cause?: unknown): CudasealError {
  return new CudasealError("FEED_INVALID", `${label} ${what}: not FIRST's EPSS scores`, {
    hint: "pass epss_scores-current.csv(.gz) as FIRST publishes it: a #model_version line, then cve,epss,percentile",
    cause,
  });
}
