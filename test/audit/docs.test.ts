// docs/audit.md lists every rule with the severity the code gives it, so the
// table users read cannot drift from what audit reports. Cells may hold `\|`
// and are padded, as the formatter aligns tables.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { AUDIT_RULES } from "../../src/audit/index.ts";
import { POLICY_EXPIRED_ID } from "../../src/findings/index.ts";

const doc = readFileSync(new URL("../../docs/audit.md", import.meta.url), "utf8");

test("every rule id is in docs/audit.md with its severity and a source", () => {
  const rows = new Map(
    [...doc.matchAll(/^\| `(CS-[A-Z0-9-]+)`\s*\|\s*(\w+)\s*\|(?:[^|\\]|\\.)+\|((?:[^|\\]|\\.)+)\|/gm)].map(
      (m) => [m[1], { severity: m[2], source: m[3] }],
    ),
  );
  for (const [id, rule] of Object.entries(AUDIT_RULES)) {
    assert.equal(rows.get(id)?.severity, rule.severity, id);
    assert.match(rows.get(id)?.source ?? "", /CIS|NIST/, id);
  }
  assert.equal(rows.get(POLICY_EXPIRED_ID)?.severity, "medium");
  assert.deepEqual(
    [...rows.keys()].filter((id) => id !== POLICY_EXPIRED_ID && !(id in AUDIT_RULES)),
    [],
    "no documented rule that the code does not have",
  );
});
