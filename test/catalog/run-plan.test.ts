// The local runner's order: needs first, never more than `jobs` at once,
// done units skipped, and a failure stopping only what is downstream of it.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type CatalogPlan, type PlanUnit, runPlan } from "../../src/catalog/index.ts";
import { CudasealError } from "../../src/errors.ts";

function unit(id: string, needs: string[] = [], done = false): PlanUnit {
  return {
    id,
    kind: "build",
    entry: id,
    spec: "s.yaml",
    variant: {},
    key: id,
    needs,
    level: 0,
    repository: "r.example/x",
    tags: [id],
    args: [],
    done,
  };
}

function plan(units: PlanUnit[]): CatalogPlan {
  return { planVersion: 1, cudaseal: "0", catalog: "catalog.yaml", units };
}

/** An executor that records what ran when, finishing each unit after a turn of the event loop. */
function recorder(fail: string[] = []) {
  const log: string[] = [];
  let inFlight = 0;
  let most = 0;
  return {
    log,
    most: () => most,
    async execute(u: PlanUnit): Promise<void> {
      log.push(`start ${u.id}`);
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      log.push(`end ${u.id}`);
      if (fail.includes(u.id)) throw new Error(`${u.id} broke`);
    },
  };
}

describe("runPlan", () => {
  it("runs each unit after its needs, at most `jobs` at once, and skips done units", async () => {
    const units = [
      unit("a"),
      unit("b"),
      unit("c"),
      unit("d", ["a", "b"]),
      unit("e", ["d", "x"]),
      unit("x", [], true),
    ];
    const r = recorder();
    const summary = await runPlan(plan(units), { jobs: 2, execute: (u) => r.execute(u) });
    assert.equal(r.most(), 2);
    assert.equal(summary.ran, 5);
    assert.equal(summary.done, 1);
    assert.ok(!r.log.includes("start x"));
    for (const [first, then] of [
      ["a", "d"],
      ["b", "d"],
      ["d", "e"],
    ])
      assert.ok(
        r.log.indexOf(`end ${first}`) < r.log.indexOf(`start ${then}`),
        `${first} before ${then}: ${r.log}`,
      );
  });

  it("stops what needs a failed unit, finishes the rest, and ends with CATALOG_UNIT_FAILED", async () => {
    const units = [unit("a"), unit("b"), unit("c", ["a"]), unit("d", ["c"]), unit("e", ["b"])];
    const r = recorder(["a"]);
    const events: string[] = [];
    const err = await runPlan(plan(units), {
      jobs: 1,
      execute: (u) => r.execute(u),
      onEvent: (e) => {
        if (e.kind === "end") events.push(`${e.outcome.status} ${e.unit.id}`);
      },
    }).then(
      () => assert.fail("the run succeeded"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof CudasealError);
    assert.equal(err.code, "CATALOG_UNIT_FAILED");
    assert.match(err.message, /unit a failed/);
    const details = err.details as { failed: string[]; blocked: string[]; ran: number };
    assert.deepEqual(details.failed, ["a"]);
    assert.deepEqual(details.blocked, ["c", "d"]);
    assert.equal(details.ran, 2);
    assert.ok(!r.log.includes("start c") && !r.log.includes("start d"));
    assert.ok(events.includes("blocked d") && events.includes("ran e"));
  });
});
