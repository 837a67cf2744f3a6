// A plan read from a file is checked before anything is emitted from it:
// each hostile or broken plan is refused with CATALOG_INVALID, and the
// options with USAGE, before a byte is written.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { CatalogPlan } from "../../src/catalog/index.ts";
import { emitPlan } from "../../src/engines/index.ts";
import { samplePlan } from "./fixture.ts";

const OPTIONS = { engine: "argo" as const, image: "registry.example/team/cudaseal:0.1.0" };
const refused = (plan: unknown, code = "CATALOG_INVALID") =>
  assert.throws(() => emitPlan(plan, OPTIONS), { code });
const edited = (edit: (p: CatalogPlan) => void) => {
  const plan = samplePlan();
  edit(plan);
  return plan;
};

test("a plan of another version, or not a plan at all, is refused", () => {
  refused(null);
  refused([]);
  refused({ ...samplePlan(), planVersion: 2 });
  refused({ ...samplePlan(), units: "x" });
});

test("a cycle is refused: a unit whose level is not above its needs' levels", () => {
  refused(
    edited((p) => {
      const base = p.units.find((u) => u.id === "base-cuda-12-4-amd64");
      base?.needs.push("app-cuda-12-4-index");
    }),
  );
});

test("a need on a unit the plan does not hold, two units with one id, and bad fields are refused", () => {
  refused(edited((p) => p.units[5].needs.push("ghost")));
  refused(edited((p) => p.units.push({ ...p.units[0] })));
  refused(edited((p) => (p.units[0].id = "Not_A_Label")));
  refused(edited((p) => (p.units[0].key = "abc")));
  refused(edited((p) => (p.units[0].args = [])));
  refused(edited((p) => (p.units[0].args = ["build", "a\0b"])));
  refused(edited((p) => ((p.units[0] as unknown as Record<string, unknown>).done = "no")));
});

test("options an engine would not accept are refused with USAGE", () => {
  const plan = samplePlan();
  const bad = (o: object) => assert.throws(() => emitPlan(plan, { ...OPTIONS, ...o }), { code: "USAGE" });
  bad({ engine: "jenkins" });
  bad({ image: "registry.example/team/cudaseal:0.1.0; rm -rf /" });
  bad({ schedule: "every night" });
  bad({ schedule: "0 3 * *" });
  bad({ name: "Catalog" });
  bad({ registrySecret: "a b" });
  bad({ memoMaxAge: "1 week" });
  bad({ catalogDir: "relative/dir" });
  bad({ gitRepo: "https://git.example/x.git", engine: "k8s-jobs" });
  bad({ parallelism: 0 });
  // A catalog path outside the repository cannot be found in a checkout.
  assert.throws(
    () =>
      emitPlan({ ...plan, catalog: "../elsewhere/catalog.yaml" }, { ...OPTIONS, engine: "github-actions" }),
    { code: "USAGE" },
  );
});

test("a plan with nothing left to run is refused rather than written as an empty workflow", () => {
  const plan = samplePlan();
  for (const u of plan.units) u.done = true;
  assert.throws(() => emitPlan(plan, { ...OPTIONS, skipDone: true }), { code: "USAGE" });
  assert.throws(() => emitPlan({ ...plan, units: [] }, OPTIONS), { code: "USAGE" });
  assert.equal(emitPlan(plan, OPTIONS).units, 18);
});
