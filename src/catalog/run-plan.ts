// Runs a plan's units in dependency order with at most `jobs` at once:
// units already done are skipped, a unit starts once each of its needs is
// done or has run, and the units downstream of a failure never start (the
// rest go on). How a unit runs is the caller's (the CLI starts cudaseal
// with the unit's args), so this holds only the order and the bookkeeping.

import { CudasealError } from "../errors.ts";
import type { CatalogPlan, PlanUnit } from "./plan-types.ts";

/** How a unit ended: done before the run, ran now, failed, or not started because a need failed. */
export type UnitStatus = "done" | "ran" | "failed" | "blocked";

export interface UnitOutcome {
  id: string;
  status: UnitStatus;
  /** Wall time of a unit that ran or failed. */
  ms?: number;
  /** A failed unit's error; a blocked unit's failed need. */
  error?: string;
  blockedBy?: string;
}

export interface RunSummary {
  units: UnitOutcome[];
  ran: number;
  done: number;
  failed: string[];
  blocked: string[];
}

/** What the caller hears as units start and end. */
export type UnitEvent =
  | { kind: "start"; unit: PlanUnit; running: number; left: number }
  | { kind: "end"; unit: PlanUnit; outcome: UnitOutcome };

export interface RunPlanOptions {
  /** Most units at once (default 2). */
  jobs?: number;
  /** Do one unit; a rejection fails it. */
  execute(unit: PlanUnit): Promise<void>;
  onEvent?: (event: UnitEvent) => void;
}

/** Run every unit not done; CATALOG_UNIT_FAILED naming the failed units (its details hold the summary). */
export async function runPlan(plan: CatalogPlan, options: RunPlanOptions): Promise<RunSummary> {
  const jobs = options.jobs ?? 2;
  if (!Number.isInteger(jobs) || jobs < 1)
    throw new CudasealError("USAGE", `jobs must be a whole number from 1, not ${jobs}`);
  const outcomes = new Map<string, UnitOutcome>();
  for (const unit of plan.units) if (unit.done) outcomes.set(unit.id, { id: unit.id, status: "done" });
  const waiting = plan.units.filter((u) => !u.done);
  const running = new Map<string, Promise<void>>();
  while (waiting.length > 0 || running.size > 0) {
    blockDownstream(waiting, outcomes, options.onEvent);
    for (let i = 0; i < waiting.length && running.size < jobs; ) {
      const unit = waiting[i];
      if (!unit.needs.every((n) => isFinished(outcomes.get(n)))) {
        i++;
        continue;
      }
      waiting.splice(i, 1);
      options.onEvent?.({ kind: "start", unit, running: running.size + 1, left: waiting.length });
      running.set(
        unit.id,
        start(unit, options, outcomes).finally(() => running.delete(unit.id)),
      );
    }
    if (running.size === 0) {
      if (waiting.length > 0)
        throw new CudasealError("INTERNAL", `units wait on needs that are not in the plan: ${waiting[0].id}`);
      break;
    }
    await Promise.race(running.values());
  }
  return summarize(plan, outcomes);
}

function isFinished(outcome: UnitOutcome | undefined): boolean {
  return outcome?.status === "done" || outcome?.status === "ran";
}

async function start(
  unit: PlanUnit,
  options: RunPlanOptions,
  outcomes: Map<string, UnitOutcome>,
): Promise<void> {
  const started = performance.now();
  let outcome: UnitOutcome;
  try {
    await options.execute(unit);
    outcome = { id: unit.id, status: "ran", ms: Math.round(performance.now() - started) };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    outcome = { id: unit.id, status: "failed", ms: Math.round(performance.now() - started), error };
  }
  outcomes.set(unit.id, outcome);
  options.onEvent?.({ kind: "end", unit, outcome });
}

/** Waiting units with a failed or blocked need never start: they are blocked by it. */
function blockDownstream(
  waiting: PlanUnit[],
  outcomes: Map<string, UnitOutcome>,
  onEvent: RunPlanOptions["onEvent"],
): void {
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 0; i < waiting.length; i++) {
      const unit = waiting[i];
      const bad = unit.needs.find((n) => {
        const s = outcomes.get(n)?.status;
        return s === "failed" || s === "blocked";
      });
      if (bad === undefined) continue;
      const blockedBy = outcomes.get(bad)?.blockedBy ?? bad;
      const outcome: UnitOutcome = { id: unit.id, status: "blocked", blockedBy };
      outcomes.set(unit.id, outcome);
      waiting.splice(i--, 1);
      onEvent?.({ kind: "end", unit, outcome });
      changed = true;
    }
  }
}

function summarize(plan: CatalogPlan, outcomes: ReadonlyMap<string, UnitOutcome>): RunSummary {
  const units = plan.units.map((u) => outcomes.get(u.id) ?? { id: u.id, status: "blocked" as const });
  const summary: RunSummary = {
    units,
    ran: units.filter((u) => u.status === "ran").length,
    done: units.filter((u) => u.status === "done").length,
    failed: units.filter((u) => u.status === "failed").map((u) => u.id),
    blocked: units.filter((u) => u.status === "blocked").map((u) => u.id),
  };
  if (summary.failed.length > 0) {
    const first = units.find((u) => u.status === "failed");
    const more = summary.failed.length > 1 ? ` (and ${summary.failed.length - 1} more)` : "";
    throw new CudasealError(
      "CATALOG_UNIT_FAILED",
      `unit ${summary.failed[0]} failed${more}: ${first?.error ?? ""}`,
      {
        hint: `${summary.blocked.length} unit(s) downstream did not start; fix the failure and run again (what is done is skipped)`,
        details: { ...summary },
      },
    );
  }
  return summary;
}
