// Durations as people write them on a command line: `90m`, `24h`, `7d`, or a
// sum such as `1d12h`. Plain numbers are refused: `--max-db-age 3` could mean
// hours or days.

import { CudasealError } from "../errors.ts";

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Milliseconds in `text` (`72h`, `7d`, `1d12h`); USAGE when it is not a duration. */
export function parseDuration(text: string, flag = "duration"): number {
  const trimmed = text.trim();
  const parts = [...trimmed.matchAll(/(\d+)([smhdw])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== trimmed) {
    throw new CudasealError("USAGE", `${flag}: not a duration: ${text}`, {
      hint: "write a number and a unit: 30m, 24h, 7d, 2w (or a sum such as 1d12h)",
    });
  }
  return parts.reduce((total, [, n, unit]) => total + Number(n) * UNIT_MS[unit], 0);
}

/** A duration for people: `3d 4h`, `5h 12m`, `42m`, `12s`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
  if (m > 0) return `${m}m`;
  return `${s}s`;
}
