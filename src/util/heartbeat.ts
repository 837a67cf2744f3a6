// A log that is not a terminal gets no progress bar, only a line as each task
// ends, so a long step (a cuda-runtime build resolves and writes its layers
// for minutes) printed nothing for almost two. The heartbeat prints a line
// naming what runs, with its counters, whenever nothing else was printed for
// an interval (about 10 s by default). It prints through the function it is given,
// like every reporter here; the clock is a seam so tests need no waiting.

import { formatBytes } from "./format-bytes.ts";
import type { ProgressEvent } from "./progress.ts";

/** Time and a repeating timer. */
export interface HeartbeatClock {
  now(): number;
  /** Call `fn` every `ms` until the returned function is called. */
  every(ms: number, fn: () => void): () => void;
}

/** The process's clock; the timer does not keep the process alive. */
const systemClock: HeartbeatClock = {
  now: () => Date.now(),
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
};

export interface HeartbeatOptions {
  /** The silence after which a line is printed, in milliseconds (default HEARTBEAT_MS). */
  intervalMs?: number;
  clock?: HeartbeatClock;
}

/**
 * The silence after which a line is printed by default: checked each second,
 * and the event loop may be busy a moment longer, so lines come at most about
 * 10 s apart.
 */
const HEARTBEAT_MS = 9_000;

interface Running {
  started: number;
  stage: boolean;
  unit: "bytes" | "items";
  total: number;
  done: number;
  items: number;
  totalItems?: number;
}

/** Follows progress events, and prints what runs when the log has been silent for the interval. */
export class Heartbeat {
  readonly #print: (line: string) => void;
  readonly #interval: number;
  readonly #clock: HeartbeatClock;
  readonly #running = new Map<string, Running>();
  #last: number;
  #stopTimer?: () => void;

  constructor(print: (line: string) => void, options: HeartbeatOptions = {}) {
    this.#print = print;
    this.#interval = options.intervalMs ?? HEARTBEAT_MS;
    this.#clock = options.clock ?? systemClock;
    this.#last = this.#clock.now();
  }

  /** Something was printed: the silence starts again. */
  printed(): void {
    this.#last = this.#clock.now();
  }

  /** Follow one progress event; the timer runs while anything does. */
  observe(e: ProgressEvent): void {
    if (e.kind === "start") {
      if (this.#running.size === 0) this.#start();
      this.#running.set(e.task, {
        started: this.#clock.now(),
        stage: e.stage === true,
        unit: e.unit ?? "items",
        total: e.total ?? 0,
        done: 0,
        items: 0,
        totalItems: e.totalItems,
      });
      return;
    }
    const r = this.#running.get(e.task);
    if (r === undefined) return;
    if (e.kind === "advance") {
      r.done += e.delta ?? 0;
      r.items += e.items ?? 0;
    } else {
      this.#running.delete(e.task);
      if (this.#running.size === 0) this.stop();
    }
  }

  /** Print what runs if nothing was printed for the interval (the timer calls it). */
  beat(): void {
    const now = this.#clock.now();
    if (this.#running.size === 0 || now - this.#last < this.#interval) return;
    const parts = [...this.#running].map(([task, r]) => describe(task, r, now));
    this.#print(`... ${parts.join("; ")}`);
    this.#last = now;
  }

  stop(): void {
    this.#stopTimer?.();
    this.#stopTimer = undefined;
  }

  #start(): void {
    // Checked often enough that a silence never runs much past the interval.
    this.#stopTimer ??= this.#clock.every(Math.min(1000, this.#interval), () => this.beat());
  }
}

function describe(task: string, r: Running, now: number): string {
  const secs = `${Math.round((now - r.started) / 1000)}s`;
  if (r.stage) return `${task} (${secs})`;
  const amount = (n: number) => (r.unit === "bytes" ? formatBytes(n) : String(n));
  const done = r.total > 0 ? `${amount(r.done)}/${amount(r.total)}` : amount(r.done);
  const items = r.totalItems !== undefined ? `, ${r.items}/${r.totalItems}` : "";
  return `${task} ${done}${items} (${secs})`;
}
