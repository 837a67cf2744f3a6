// Times one shell command from outside, as GNU time(1) sees it: wall
// seconds, user and system seconds of the whole process tree (every process
// the shell waited for), and the peak resident set of the largest single
// process (getrusage's ru_maxrss for children is a maximum, not a sum).

import { spawn } from "node:child_process";
import { open, readFile } from "node:fs/promises";
import { join } from "node:path";

export const GNU_TIME = "/usr/bin/time";

/** One run's figures. */
export interface Sample {
  wallS: number;
  userS: number;
  sysS: number;
  cpuS: number;
  /** Largest single process, KiB. */
  peakRssKiB: number;
  exitCode: number;
}

export interface TimeOptions {
  /** The shell that runs `command`: bash where a pipeline needs `pipefail`. */
  shell: "sh" | "bash";
  cwd?: string;
  /** Files that receive the command's stdout and stderr. */
  stdoutFile: string;
  stderrFile: string;
  /** Where time(1) writes its line, apart from the command's own stderr. */
  timeFile: string;
}

/** Run `command` under `/usr/bin/time -f '%e %U %S %M'` and read back its figures. */
export async function timeShell(command: string, options: TimeOptions): Promise<Sample> {
  const stdout = await open(options.stdoutFile, "w");
  const stderr = await open(options.stderrFile, "w");
  try {
    const exitCode = await new Promise<number>((resolve, reject) => {
      const child = spawn(
        GNU_TIME,
        ["-f", "%e %U %S %M", "-o", options.timeFile, options.shell, "-c", command],
        { cwd: options.cwd, stdio: ["ignore", stdout.fd, stderr.fd] },
      );
      child.on("error", reject);
      child.on("close", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    });
    // On failure time(1) writes "Command exited with non-zero status N" first.
    const lines = (await readFile(options.timeFile, "utf8")).trim().split("\n");
    const fields = (lines.at(-1) ?? "").trim().split(/\s+/).map(Number);
    if (fields.length !== 4 || fields.some((n) => !Number.isFinite(n))) {
      throw new Error(`cannot read ${GNU_TIME}'s output: ${lines.join(" / ")}`);
    }
    const [wallS, userS, sysS, peakRssKiB] = fields;
    return { wallS, userS, sysS, cpuS: round(userS + sysS), peakRssKiB, exitCode };
  } finally {
    await stdout.close();
    await stderr.close();
  }
}

/** The median; the mean of the middle two for an even count. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** One row of an interleaved benchmark: how to run it, and what to do before each run. */
export interface TimedRow {
  id: string;
  label: string;
  /** Default: sh. */
  shell?: "sh" | "bash";
  command: (run: number) => string;
  before?: (run: number) => Promise<void> | void;
}

/** What one run of one row left: its figures, its stdout, and the end of its stderr on failure. */
export interface TimedRun {
  sample: Sample;
  stdout: string;
  /** The last 15 lines of stderr, when the command failed. */
  failure?: string;
}

/**
 * Every row `runs` times, interleaved (a b c … a b c …) so that drift in the
 * machine's speed touches every row alike; each run's output kept in `work`
 * as `<row>-<run>.{out,err,time}`, and `onRun` told of it as it ends.
 */
export async function runInterleaved<R extends TimedRow>(
  rows: readonly R[],
  runs: number,
  work: string,
  note: (text: string) => void,
  onRun: (row: R, run: number, result: TimedRun) => Promise<void> | void,
): Promise<void> {
  for (let i = 0; i < runs; i++) {
    for (const row of rows) {
      await row.before?.(i);
      const logs = join(work, `${row.id}-${i}`);
      const sample = await timeShell(row.command(i), {
        shell: row.shell ?? "sh",
        stdoutFile: `${logs}.out`,
        stderrFile: `${logs}.err`,
        timeFile: `${logs}.time`,
      });
      note(`[${row.id} ${i + 1}/${runs}] ${describeSample(sample)}  ${row.label}`);
      let failure: string | undefined;
      if (sample.exitCode !== 0) {
        failure = (await readFile(`${logs}.err`, "utf8")).trim().split("\n").slice(-15).join("\n");
        note(`  failed (exit ${sample.exitCode}); the end of its stderr:\n${failure.replace(/^/gm, "    ")}`);
      }
      await onRun(row, i, { sample, stdout: await readFile(`${logs}.out`, "utf8"), failure });
    }
  }
}

/** A run's figures in one line, for progress notes. */
function describeSample(s: Sample): string {
  return `${s.wallS.toFixed(2)} s wall, ${s.cpuS.toFixed(2)} s CPU, ${(s.peakRssKiB / 1024).toFixed(0)} MiB peak`;
}
