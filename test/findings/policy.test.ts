// The policy file: parsing with line-numbered errors, exceptions that need an
// owner and an expiry, and expired exceptions turning into findings.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { applyPolicy, loadPolicy, POLICY_EXPIRED_ID, parsePolicy } from "../../src/findings/index.ts";
import { IMAGE_FINDINGS } from "./sample.ts";

const TODAY = new Date("2026-06-15T12:00:00Z");

const POLICY = `# what this team accepts
rules:
  CS-USER-ROOT:
    severity: low
    owner: ml-platform
    expires: 2026-12-31
  CS-SECRET-PRIVATE-KEY: { off: true, owner: nobody, expires: 2026-06-14, reason: test key }
allow:
  - rule: CS-FILE-SETUID
    paths: [/usr/bin/su]
    owner: sec-team
    expires: 2026-06-15
    reason: su is needed in the debug image
`;

const dir = mkdtempSync(join(tmpdir(), "cudaseal-policy-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("a policy re-rates, allows paths, and turns an expired exception into a finding at its line", () => {
  const file = join(dir, "policy.yaml");
  writeFileSync(file, POLICY);
  const policy = loadPolicy(file);
  assert.equal(policy.rules.length, 2);
  const out = applyPolicy(IMAGE_FINDINGS, policy, {
    today: TODAY,
    knownRules: ["CS-USER-ROOT", "CS-FILE-SETUID"],
  });
  const byId = (id: string) => out.findings.filter((f) => f.id === id);
  assert.equal(byId("CS-USER-ROOT")[0].severity, "low");
  // su allowed (expires today: still holds), passwd not.
  assert.deepEqual(
    byId("CS-FILE-SETUID").map((f) => f.evidence.path),
    ["/usr/bin/passwd"],
  );
  assert.equal(out.suppressed.length, 1);
  assert.equal(out.suppressed[0].owner, "sec-team");
  // The key exception expired yesterday: the finding is back, and so is one about the exception.
  assert.equal(byId("CS-SECRET-PRIVATE-KEY").length, 1);
  const expired = byId(POLICY_EXPIRED_ID);
  assert.equal(expired.length, 1);
  assert.deepEqual(expired[0].evidence, { path: file, line: 7 });
  assert.match(expired[0].message, /owner nobody.*2026-06-14/);
  assert.deepEqual(out.unknownRules, ["CS-SECRET-PRIVATE-KEY"]);
});

function code(text: string): { code: string; line: unknown } {
  try {
    parsePolicy(text, "p.yaml");
  } catch (err) {
    assert.ok(isCudasealError(err), String(err));
    return { code: err.code, line: err.details?.line };
  }
  return { code: "none", line: undefined };
}

test("every exception needs an owner and a real expiry date; mistakes name their line", () => {
  assert.deepEqual(code("rules:\n  CS-USER-ROOT: { off: true, expires: 2026-01-01 }\n"), {
    code: "POLICY_INVALID",
    line: 2,
  });
  assert.equal(code("rules:\n  CS-USER-ROOT: { off: true, owner: a }\n").code, "POLICY_INVALID");
  assert.equal(
    code("rules:\n  CS-USER-ROOT: { off: true, owner: a, expires: 2026-02-30 }\n").code,
    "POLICY_INVALID",
  );
  assert.equal(code("rules:\n  CS-USER-ROOT: { owner: a, expires: 2026-02-01 }\n").code, "POLICY_INVALID");
  assert.equal(
    code("rules:\n  CS-USER-ROOT: { severity: urgent, owner: a, expires: 2026-02-01 }\n").code,
    "POLICY_INVALID",
  );
  assert.equal(
    code("rules:\n  user-root: { off: true, owner: a, expires: 2026-02-01 }\n").code,
    "POLICY_INVALID",
  );
  assert.deepEqual(code("allow:\n  - rule: CS-FILE-SHELL\n    owner: a\n    expires: 2026-02-01\n"), {
    code: "POLICY_INVALID",
    line: 2,
  });
  assert.deepEqual(code("rules: {}\nexceptions: []\n"), { code: "POLICY_INVALID", line: 2 });
  assert.equal(code("rules: [\n").code, "POLICY_INVALID");
  assert.equal(
    code("rules:\n  A-B: {off: true, owner: a, expires: 2026-01-01, colour: red}\n").code,
    "POLICY_INVALID",
  );
  assert.equal(code("").code, "none");
  assert.equal(
    isCudasealError(
      catchErr(() => loadPolicy(join(dir, "missing.yaml"))),
      "POLICY_INVALID",
    ),
    true,
  );
});

function catchErr(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

test("a policy path naming a device is INPUT_NOT_REGULAR, a huge file INPUT_TOO_LARGE, neither read whole", () => {
  const big = join(dir, "big.yaml");
  writeFileSync(big, `# ${"é".repeat(600 * 1024)}\n`);
  for (const [file, code] of [
    ["/dev/zero", "INPUT_NOT_REGULAR"],
    [big, "INPUT_TOO_LARGE"],
  ] as const) {
    assert.equal(
      isCudasealError(
        catchErr(() => loadPolicy(file)),
        code,
      ),
      true,
      file,
    );
  }
});
