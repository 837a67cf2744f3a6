// A plan read back before it is emitted: it may come from a file, so its
// shape is checked field by field, its edges must name units it holds, and
// each level must be one more than the deepest need, which also proves the
// edges have no cycle. Units already done can be left out; their dependants'
// edges to them are then met, and levels are counted again over what is left.

import type { CatalogPlan, PlanUnit } from "../catalog/index.ts";
import { CudasealError } from "../errors.ts";

/** More units than any catalog needs: a bound on the work a hostile plan can cause. */
export const MAX_UNITS = 10_000;
const MAX_ARGS = 200;
const MAX_ARG_LENGTH = 4096;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const KEY = /^[0-9a-f]{64}$/;

function invalid(message: string): CudasealError {
  return new CudasealError("CATALOG_INVALID", `plan: ${message}`, {
    hint: "write the plan again with `cudaseal catalog plan CATALOG -o plan.json`",
  });
}

function isStringList(v: unknown, max: number): v is string[] {
  return Array.isArray(v) && v.length <= max && v.every((s) => typeof s === "string");
}

function checkUnit(u: unknown, index: number): PlanUnit {
  if (typeof u !== "object" || u === null) throw invalid(`unit ${index} is not an object`);
  const unit = u as Record<string, unknown>;
  const id = unit.id;
  if (typeof id !== "string" || !DNS_LABEL.test(id)) throw invalid(`unit ${index} has no DNS-label id`);
  const bad = (field: string) => invalid(`unit ${id}: bad ${field}`);
  if (unit.kind !== "build" && unit.kind !== "index") throw bad("kind");
  if (typeof unit.key !== "string" || !KEY.test(unit.key)) throw bad("key (sha256 hex)");
  if (!isStringList(unit.needs, MAX_UNITS)) throw bad("needs");
  if (!Number.isInteger(unit.level) || (unit.level as number) < 0) throw bad("level");
  if (!isStringList(unit.args, MAX_ARGS) || unit.args.length === 0) throw bad("args");
  if (unit.args.some((a) => a.length > MAX_ARG_LENGTH || a.includes("\0"))) throw bad("args");
  if (typeof unit.done !== "boolean") throw bad("done");
  if (typeof unit.repository !== "string" || !isStringList(unit.tags, 1000)) throw bad("repository or tags");
  if (typeof unit.entry !== "string" || typeof unit.spec !== "string") throw bad("entry or spec");
  return unit as unknown as PlanUnit;
}

/** The plan's units, checked, in the plan's order. */
export function checkPlan(plan: unknown): CatalogPlan {
  if (typeof plan !== "object" || plan === null) throw invalid("not a JSON object");
  const p = plan as Record<string, unknown>;
  if (p.planVersion !== 1)
    throw invalid(`version ${JSON.stringify(p.planVersion)}; this cudaseal reads version 1`);
  if (typeof p.cudaseal !== "string" || typeof p.catalog !== "string")
    throw invalid("no cudaseal version or catalog");
  if (!Array.isArray(p.units) || p.units.length > MAX_UNITS)
    throw invalid(`units must be a list of at most ${MAX_UNITS}`);
  const units = p.units.map(checkUnit);
  const byId = new Map<string, PlanUnit>();
  for (const u of units) {
    if (byId.has(u.id)) throw invalid(`two units are called ${u.id}`);
    byId.set(u.id, u);
  }
  for (const u of units) {
    let deepest = -1;
    for (const need of u.needs) {
      const n = byId.get(need);
      if (!n) throw invalid(`unit ${u.id} needs ${need}, which the plan does not hold`);
      deepest = Math.max(deepest, n.level);
    }
    // A need on a level at or above the unit's own is how a cycle (or a hand-edited plan) shows.
    if (u.level !== deepest + 1) throw invalid(`unit ${u.id} is at level ${u.level}, not ${deepest + 1}`);
  }
  return plan as CatalogPlan;
}

/** The units to emit: all, or those not done; needs on done units dropped, levels counted again. */
export function unitsToEmit(plan: CatalogPlan, skipDone: boolean): PlanUnit[] {
  const kept = plan.units.filter((u) => !(skipDone && u.done));
  const keptIds = new Set(kept.map((u) => u.id));
  const level = new Map<string, number>();
  // The plan's order is by level, so every need is placed before its dependant.
  const out = [...kept]
    .sort((a, b) => a.level - b.level || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((u) => {
      const needs = u.needs.filter((n) => keptIds.has(n)).sort();
      const l = needs.reduce((m, n) => Math.max(m, (level.get(n) ?? 0) + 1), 0);
      level.set(u.id, l);
      return { ...u, needs, level: l };
    });
  return out.sort((a, b) => a.level - b.level || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
