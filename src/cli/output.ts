// How the CLI talks: data on stdout, notes and progress on stderr, and a
// progress bar only when stderr is a terminal; elsewhere (a CI log) a line
// as each task ends, and a heartbeat line whenever nothing was printed for
// 10 s while work runs.

import { styleText } from "node:util";
import { formatBytes } from "../util/format-bytes.ts";
import { Heartbeat } from "../util/heartbeat.ts";
import type { ProgressEvent, ProgressSink } from "../util/progress.ts";

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
}

export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly tty: boolean;
  #heartbeat?: Heartbeat;
  constructor(options: OutputOptions) {
    this.json = options.json;
    this.quiet = options.quiet;
    this.tty = process.stderr.isTTY === true;
  }

  /** Data for the user or a pipe. */
  data(text: string): void {
    process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  }

  /** A JSON document on stdout. */
  jsonData(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** A note on stderr, silenced by --quiet. */
  note(text: string): void {
    if (this.quiet) return;
    clearBar(this);
    process.stderr.write(`${text}\n`);
    this.#heartbeat?.printed();
  }

  warn(text: string): void {
    clearBar(this);
    process.stderr.write(`${this.tty ? styleText("yellow", "warning:") : "warning:"} ${text}\n`);
    this.#heartbeat?.printed();
  }

  /** A progress sink: a redrawn bar on a terminal; otherwise a line per task end, and the heartbeat. */
  progress(): ProgressSink {
    if (this.quiet || this.json) return () => {};
    if (this.tty) return barSink();
    const lines = lineSink(this);
    this.#heartbeat ??= new Heartbeat((line) => this.note(line));
    const heartbeat = this.#heartbeat;
    return (e) => {
      heartbeat.observe(e);
      lines(e);
    };
  }
}

interface TaskState {
  unit: "bytes" | "items";
  total: number;
  done: number;
  items: number;
  totalItems?: number;
  started: number;
}

let barShown = false;
function clearBar(out: Output): void {
  if (out.tty && barShown) {
    process.stderr.write("\r\x1b[K");
    barShown = false;
  }
}

function formatAmount(n: number, unit: "bytes" | "items"): string {
  if (unit === "items") return String(n);
  return formatBytes(n);
}

/** Keeps every task's counters from the events; a sink decides what to show. */
function tracked(show: (task: string, s: TaskState, kind: ProgressEvent["kind"]) => void): ProgressSink {
  const tasks = new Map<string, TaskState>();
  return (e: ProgressEvent) => {
    // A stage has no counter to draw; only the heartbeat names it.
    if (e.stage) return;
    if (e.kind === "start") {
      tasks.set(e.task, {
        unit: e.unit ?? "items",
        total: e.total ?? 0,
        done: 0,
        items: 0,
        totalItems: e.totalItems,
        started: Date.now(),
      });
    }
    const s = tasks.get(e.task);
    if (!s) return;
    if (e.kind === "advance") {
      s.done += e.delta ?? 0;
      s.items += e.items ?? 0;
    } else if (e.kind === "end") {
      tasks.delete(e.task);
    }
    show(e.task, s, e.kind);
  };
}

function barSink(): ProgressSink {
  let lastDraw = 0;
  return tracked((task, s, kind) => {
    const now = Date.now();
    if (kind === "advance" && now - lastDraw < 100) return;
    lastDraw = now;
    const width = 30;
    const frac = s.total > 0 ? Math.min(1, s.done / s.total) : 0;
    const filled = Math.round(frac * width);
    const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
    const items = s.totalItems !== undefined ? ` ${s.items}/${s.totalItems}` : "";
    const secs = (now - s.started) / 1000;
    const rate = s.unit === "bytes" && secs > 0 ? ` ${formatBytes(s.done / secs)}/s` : "";
    process.stderr.write(
      `\r\x1b[K${task.padEnd(16)} ${bar} ${formatAmount(s.done, s.unit)}/${formatAmount(s.total, s.unit)}${items}${rate}`,
    );
    barShown = true;
    if (kind === "end") {
      process.stderr.write("\n");
      barShown = false;
    }
  });
}

function lineSink(out: Output): ProgressSink {
  return tracked((task, s, kind) => {
    if (kind !== "end" || (s.done === 0 && s.items === 0)) return;
    const secs = ((Date.now() - s.started) / 1000).toFixed(1);
    const items = s.totalItems !== undefined ? `, ${s.items} items` : "";
    out.note(`${task}: ${formatAmount(s.done, s.unit)}${items} in ${secs}s`);
  });
}
