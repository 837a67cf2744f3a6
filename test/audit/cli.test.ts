// `cudaseal audit` end to end through bin/cudaseal.js: the gate's exit codes,
// the three formats (SARIF checked against the official schema), the policy
// file, and the image transports (OCI layout, Docker archive, and the
// classic Docker archive skopeo writes).

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import AjvDraft04 from "ajv-draft-04";
import addFormatsModule from "ajv-formats";
import { writeDockerArchive } from "../../src/oci/docker-archive.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { schema } from "../helpers/sbom-schemas.ts";
import { hasTool, run } from "../oci/fixture-image.ts";
import { badImage, cleanImage, SECRETS } from "./fixture.ts";

// Both are CommonJS; under Node's ESM loader their exports arrive under `default`.
const addFormats = (addFormatsModule as unknown as { default: (ajv: unknown) => void }).default;
const ajv = new AjvDraft04.default({ allErrors: true, strict: false });
addFormats(ajv);
const validateSarif = ajv.compile(schema("sarif-2.1.0.schema.json"));

const BIN = new URL("../../bin/cudaseal.js", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "cudaseal-audit-cli-"));
const bad = `oci:${join(dir, "bad")}:v1`;
const clean = `oci:${join(dir, "clean")}`;

before(async () => {
  const now = new Date();
  const image = badImage(dir, now);
  await writeOciLayout(join(dir, "bad"), image);
  await writeOciLayout(join(dir, "clean"), cleanImage(dir, now));
  await writeDockerArchive(join(dir, "bad.tar"), image, { tag: "bad:1" });
});
after(() => rmSync(dir, { recursive: true, force: true }));

function cudaseal(...args: string[]) {
  return spawnSync(process.execPath, [BIN, "audit", ...args, "--arch", "amd64"], {
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
}

test("the gate: exit 1 when a finding is at or above --fail-on, 0 otherwise", () => {
  const failed = cudaseal(bad, "--fail-on", "high");
  assert.equal(failed.status, 1, failed.stderr);
  assert.match(failed.stderr, /audit failed: \d+ findings of severity high or worse/);
  assert.match(failed.stdout, /^SEVERITY\s+RULE\s+WHERE\s+MESSAGE/);
  const passed = cudaseal(clean, "--fail-on", "info");
  assert.equal(passed.status, 0, passed.stdout + passed.stderr);
  assert.equal(passed.stdout, "");
  assert.equal(cudaseal(bad).status, 0, "no gate, no failure");
});

test("bad usage exits 2 with USAGE", () => {
  for (const args of [["--format", "xml"], ["--fail-on", "severe"], ["--max-age", "soon"], []]) {
    const r = args.length === 0 ? cudaseal() : cudaseal(bad, ...args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /error \[USAGE\]/);
  }
});

test("--format sarif from a Docker archive is valid SARIF 2.1.0 and leaks no secret", () => {
  const r = cudaseal(`docker-archive:${join(dir, "bad.tar")}`, "--format", "sarif");
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { runs: { results: { ruleId: string }[] }[] };
  assert.ok(validateSarif(doc), JSON.stringify(validateSarif.errors, null, 2));
  const ids = new Set(doc.runs[0].results.map((x) => x.ruleId));
  for (const id of [
    "CS-USER-MISSING",
    "CS-SECRET-PRIVATE-KEY",
    "CS-NVIDIA-DRIVER-BUNDLED",
    "CS-SECRET-HISTORY",
  ]) {
    assert.ok(ids.has(id), id);
  }
  for (const value of [
    SECRETS.github,
    SECRETS.envToken,
    SECRETS.buildArg,
    SECRETS.dbPassword,
    SECRETS.awsSecret,
  ]) {
    assert.ok(!r.stdout.includes(value) && !r.stderr.includes(value));
  }
});

test("--format markdown is the summary, redacted like every format, and the gate still decides", () => {
  const r = cudaseal(bad, "--format", "markdown", "--fail-on", "high");
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  assert.equal(lines[0], `## cudaseal audit: ${bad}`);
  assert.ok(lines.includes("| Severity | Findings |"));
  assert.ok(
    lines.some((l) =>
      /^\| critical \| CS-SECRET-PRIVATE-KEY \| \/root\/\.ssh\/id\\_ed25519:1 \(layer 1, deleted later\) \|/.test(
        l,
      ),
    ),
    r.stdout,
  );
  for (const value of [
    SECRETS.github,
    SECRETS.envToken,
    SECRETS.buildArg,
    SECRETS.dbPassword,
    SECRETS.awsSecret,
  ]) {
    assert.ok(!r.stdout.includes(value));
  }
});

test("the classic Docker archive skopeo writes (uncompressed layers) reads the same", (t) => {
  if (!hasTool("skopeo")) {
    t.skip("skopeo is not installed (npm run setup-test-tools)");
    return;
  }
  const classic = join(dir, "classic.tar");
  run("skopeo", ["copy", "-q", `oci:${join(dir, "bad")}:v1`, `docker-archive:${classic}:bad:classic`]);
  const fromClassic = JSON.parse(cudaseal(`docker-archive:${classic}`, "--json").stdout);
  const fromLayout = JSON.parse(cudaseal(bad, "--json").stdout);
  const key = (doc: { findings: { id: string; evidence: unknown }[] }) =>
    doc.findings.map((f) => `${f.id} ${JSON.stringify(f.evidence)}`).sort();
  assert.deepEqual(key(fromClassic), key(fromLayout));
  assert.ok(fromClassic.findings.length > 20);
});

test("--policy: waivers, re-rating, and an expired exception that fails the gate itself", () => {
  const policy = join(dir, "policy.yaml");
  writeFileSync(
    policy,
    `rules:
  CS-USER-MISSING: { severity: low, owner: ml-platform, expires: 2999-12-31 }
  CS-IMAGE-STALE: { off: true, owner: ml-platform, expires: 2020-01-01 }
allow:
  - rule: CS-FILE-SHELL
    paths: [/bin/bash]
    owner: debug-team
    expires: 2999-12-31
    reason: debug image
`,
  );
  const r = cudaseal(bad, "--policy", policy, "--json");
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  const ids = doc.findings.map((f: { id: string }) => f.id);
  assert.ok(!ids.includes("CS-FILE-SHELL"));
  assert.equal(doc.suppressed[0].owner, "debug-team");
  assert.equal(doc.findings.find((f: { id: string }) => f.id === "CS-USER-MISSING").severity, "low");
  assert.ok(ids.includes("CS-IMAGE-STALE"), "an expired waiver no longer applies");
  const expired = doc.findings.find((f: { id: string }) => f.id === "CS-POLICY-EXPIRED");
  assert.deepEqual(expired.evidence, { path: policy, line: 3 });
  assert.match(r.stderr, /waived by policy/);

  // Clean image + only an expired exception: the gate fails on the exception alone.
  writeFileSync(policy, "rules:\n  CS-FILE-SHELL: { off: true, owner: a, expires: 2020-01-01 }\n");
  const gate = cudaseal(clean, "--policy", policy, "--fail-on", "medium");
  assert.equal(gate.status, 1, gate.stdout + gate.stderr);
  assert.match(gate.stdout, /CS-POLICY-EXPIRED/);

  writeFileSync(policy, "rules:\n  CS-FILE-SHELL: { off: true }\n");
  const invalid = cudaseal(clean, "--policy", policy);
  assert.equal(invalid.status, 1);
  assert.match(
    invalid.stderr,
    /error \[POLICY_INVALID\]: .*policy\.yaml:2: rules\.CS-FILE-SHELL needs an owner/,
  );
});

test("an image that cannot be opened fails with its code, not a stack trace", () => {
  const r = cudaseal(`oci:${join(dir, "missing")}`);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^error \[IMAGE_INVALID\]: open image: /);
});
