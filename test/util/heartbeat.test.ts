// The heartbeat of a log that is not a terminal, on a clock moved by hand
// (no waiting, no timing): a line only after a whole interval of silence,
// naming the stage and each task's counters, and a timer only while work runs.

import assert from "node:assert/strict";
import { test } from "node:test";
import { StageRunner } from "../../src/build/stages.ts";
import { Heartbeat, type HeartbeatClock } from "../../src/util/heartbeat.ts";
import type { ProgressEvent } from "../../src/util/progress.ts";

/** A clock moved by hand; its timer fires when the test says so. */
function fakeClock(): HeartbeatClock & { advance(ms: number): void; timers: number } {
  let now = 1_000_000;
  const timers = new Set<() => void>();
  return {
    now: () => now,
    every(_ms, fn) {
      timers.add(fn);
      return () => timers.delete(fn);
    },
    advance(ms) {
      now += ms;
      for (const fn of timers) fn();
    },
    get timers() {
      return timers.size;
    },
  };
}

test("the heartbeat prints what runs when nothing else was printed for the interval, and not before", () => {
  const clock = fakeClock();
  const lines: string[] = [];
  const beat = new Heartbeat((l) => lines.push(l), { intervalMs: 10_000, clock });
  beat.observe({ task: "resolve", kind: "start", stage: true });
  clock.advance(9_999);
  assert.deepEqual(lines, []);
  clock.advance(1);
  assert.deepEqual(lines, ["... resolve (10s)"]);
  // Another line printed meanwhile puts the next beat off by a whole interval.
  clock.advance(5_000);
  beat.printed();
  clock.advance(9_000);
  assert.equal(lines.length, 1);
  clock.advance(1_000);
  assert.equal(lines.length, 2);
});

test("the heartbeat line names the stage and each running task's counters", () => {
  const clock = fakeClock();
  const lines: string[] = [];
  const beat = new Heartbeat((l) => lines.push(l), { intervalMs: 10_000, clock });
  beat.observe({ task: "fetch", kind: "start", stage: true });
  beat.observe({ task: "download", kind: "start", unit: "bytes", total: 4 * 1024 * 1024, totalItems: 10 });
  beat.observe({ task: "download", kind: "advance", delta: 1024 * 1024, items: 3 });
  clock.advance(12_000);
  assert.deepEqual(lines, ["... fetch (12s); download 1.0 MiB/4.0 MiB, 3/10 (12s)"]);
});

test("the timer runs only while a task does", () => {
  const clock = fakeClock();
  const lines: string[] = [];
  const beat = new Heartbeat((l) => lines.push(l), { intervalMs: 10_000, clock });
  assert.equal(clock.timers, 0);
  beat.observe({ task: "write", kind: "start", stage: true });
  assert.equal(clock.timers, 1);
  beat.observe({ task: "write", kind: "end", stage: true });
  assert.equal(clock.timers, 0);
  clock.advance(60_000);
  beat.beat();
  assert.deepEqual(lines, []);
});

test("the build's stage runner reports each stage's start and end, failed ones too", async () => {
  const events: ProgressEvent[] = [];
  const stages = new StageRunner((e) => events.push(e));
  await stages.run("resolve", async () => 1);
  await assert.rejects(
    stages.run("fetch", async () => {
      throw new Error("boom");
    }),
  );
  assert.deepEqual(
    events.map((e) => `${e.kind} ${e.task} ${e.stage}`),
    ["start resolve true", "end resolve true", "start fetch true", "end fetch true"],
  );
});
