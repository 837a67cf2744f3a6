// SARIF output, checked against the official SARIF 2.1.0 schema (draft-04)
// and against what GitHub code scanning reads: ruleIndex, levels and the
// numeric security-severity of each rule.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import AjvDraft04 from "ajv-draft-04";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { debianTrackerAdvisories } from "../../src/scan/debian-tracker.ts";
import { matchFindings } from "../../src/scan/match.ts";
import { recordKey, type ScanResult } from "../../src/scan/report.ts";
import { SECURITY_SEVERITY, scanSarif } from "../../src/scan/sarif.ts";
import type { SuppressedFinding } from "../../src/scan/suppress.ts";
import { schema } from "../helpers/sbom-schemas.ts";
import { makeImages } from "../source/fixture.ts";
import { PACKAGES, TRACKER } from "./fixture.ts";

interface SarifRule {
  id: string;
  properties: { "security-severity": string; tags: string[] };
  help: { text: string };
}
interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[];
  suppressions?: {
    kind: string;
    status: string;
    justification: string;
    properties: Record<string, string>;
  }[];
}
interface SarifLog {
  version: string;
  runs: { tool: { driver: { name: string; rules: SarifRule[] } }; results: SarifResult[] }[];
}

// ajv-draft-04 is CommonJS; under Node's ESM loader its class is also its own `default`.
const validate = new AjvDraft04.default({ allErrors: true, strict: false }).compile(
  schema("sarif-2.1.0.schema.json"),
);
const findings = matchFindings(PACKAGES, debianTrackerAdvisories(TRACKER), "bookworm");
const result: ScanResult = {
  image: "oci:out/x",
  release: "bookworm",
  packages: 3,
  findings,
  records: new Map([
    [recordKey("libc6", "2.36-9+deb12u4+b1"), "var/lib/dpkg/status"],
    [recordKey("tzdata", "2024a-0+deb12u1"), "var/lib/dpkg/status.d/tzdata"],
  ]),
};

function assertValid(doc: unknown): asserts doc is SarifLog {
  assert.ok(validate(doc), JSON.stringify(validate.errors, null, 2));
}

test("the log is valid SARIF 2.1.0 with one rule per advisory and one result per finding", () => {
  const doc = scanSarif(result);
  assertValid(doc);
  assert.equal(doc.version, "2.1.0");
  assert.equal(doc.runs.length, 1);
  const { driver } = doc.runs[0].tool;
  assert.equal(driver.name, "cudaseal");
  const ids = driver.rules.map((r) => r.id);
  assert.deepEqual(ids, [...new Set(findings.map((f) => f.id))].sort());
  assert.equal(doc.runs[0].results.length, findings.length);
  for (const r of doc.runs[0].results) {
    assert.equal(driver.rules[r.ruleIndex].id, r.ruleId);
    assert.equal(r.locations[0].physicalLocation.region.startLine, 1);
  }
});

test("rules carry security-severity as a numeric string and the security tags", () => {
  const doc = scanSarif(result);
  assertValid(doc);
  const rule = (id: string) => doc.runs[0].tool.driver.rules.find((r) => r.id === id);
  assert.equal(rule("CVE-2024-0001")?.properties["security-severity"], "8.0");
  for (const r of doc.runs[0].tool.driver.rules) {
    assert.match(r.properties["security-severity"], /^\d+\.\d$/);
    assert.ok(Object.values(SECURITY_SEVERITY).includes(r.properties["security-severity"]));
    assert.deepEqual(r.properties.tags, ["security", "vulnerability"]);
  }
  assert.match(
    rule("CVE-2024-0001")?.help.text ?? "",
    /libc6 2\.36-9\+deb12u4\+b1: fixed in 2\.36-9\+deb12u7/,
  );
  assert.deepEqual(SECURITY_SEVERITY, {
    critical: "9.5",
    high: "8.0",
    medium: "5.5",
    low: "2.0",
    negligible: "0.0",
    unknown: "0.0",
  });
});

test("results have levels from severity, name the versions, and point at the dpkg record", () => {
  const doc = scanSarif(result);
  assertValid(doc);
  const results = doc.runs[0].results;
  const first = results[0];
  assert.equal(first.ruleId, "CVE-2024-0001");
  assert.equal(first.level, "error");
  assert.match(first.message.text, /libc6 2\.36-9\+deb12u4\+b1: fixed in 2\.36-9\+deb12u7/);
  assert.equal(first.locations[0].physicalLocation.artifactLocation.uri, "var/lib/dpkg/status");
  const levels = new Map(findings.map((f, i) => [f.severity, results[i].level]));
  assert.equal(levels.get("medium"), "warning");
  assert.equal(levels.get("low"), "note");
  assert.equal(levels.get("unknown"), "note");
  const tz = results.find((r) => r.message.text.includes("tzdata"));
  assert.equal(tz?.locations[0].physicalLocation.artifactLocation.uri, "var/lib/dpkg/status.d/tzdata");
  // Without a record the image itself is the location.
  const base = results.find((r) => r.message.text.includes("base-files"));
  assert.equal(base?.locations[0].physicalLocation.artifactLocation.uri, "oci:out/x");
  assert.equal(JSON.stringify(scanSarif(result)), JSON.stringify(doc), "deterministic");
});

test("no findings is still a valid log", () => {
  const doc = scanSarif({ ...result, findings: [] });
  assertValid(doc);
  assert.deepEqual(doc.runs[0].results, []);
  assert.deepEqual(doc.runs[0].tool.driver.rules, []);
});

const dir = mkdtempSync(join(tmpdir(), "cudaseal-sarif-"));
before(async () => {
  writeFileSync(join(dir, "tracker.json"), JSON.stringify(TRACKER));
  await writeOciLayout(join(dir, "image"), makeImages(dir).single);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("cudaseal scan --format sarif locates findings at the records read from the image", () => {
  const bin = new URL("../../bin/cudaseal.js", import.meta.url).pathname;
  const ref = `oci:${join(dir, "image")}`;
  const args = ["scan", ref, "--db", join(dir, "tracker.json"), "--arch", "amd64", "--release", "bookworm"];
  const r = spawnSync(process.execPath, [bin, ...args, "--format", "sarif"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const doc: unknown = JSON.parse(r.stdout);
  assertValid(doc);
  const uris = new Map(
    doc.runs[0].results.map((x: SarifResult) => [
      x.message.text.split(" ")[3],
      x.locations[0].physicalLocation.artifactLocation.uri,
    ]),
  );
  assert.deepEqual(Object.fromEntries(uris), {
    libc6: "var/lib/dpkg/status",
    "base-files": "var/lib/dpkg/status.d/base-files",
    tzdata: "var/lib/dpkg/status.d/tzdata",
  });
  const bad = spawnSync(process.execPath, [bin, ...args, "--format", "xml"], { encoding: "utf8" });
  assert.equal(bad.status, 2);
});

test("suppressed findings are results with an accepted external suppression saying why", () => {
  const [vexed, ignored, ...rest] = findings;
  const suppressed: SuppressedFinding[] = [
    {
      ...vexed,
      suppressedBy: {
        kind: "vex",
        status: "not_affected",
        justification: "vulnerable_code_not_in_execute_path",
        impactStatement: "the resolver is never called",
        file: "cuda-base.vex.json",
      },
    },
    {
      ...ignored,
      suppressedBy: {
        kind: "ignore",
        reason: "timezone data only",
        expires: "2999-01-01",
        file: ".ignore.yaml",
      },
    },
  ];
  const doc = scanSarif({ ...result, findings: rest, suppressed });
  assertValid(doc);
  const { results } = doc.runs[0];
  const rules = doc.runs[0].tool.driver.rules;
  assert.equal(results.length, findings.length, "nothing vanishes");
  assert.deepEqual(
    results.slice(0, rest.length).map((r) => r.suppressions),
    rest.map(() => undefined),
    "the findings that count come first, unsuppressed",
  );
  const [v, i] = results.slice(rest.length);
  assert.equal(v.ruleId, vexed.id);
  assert.equal(rules[v.ruleIndex].id, vexed.id, "a rule exists for a finding only VEX speaks of");
  assert.equal(v.level, "error", "the level is the finding's, suppressed or not");
  assert.deepEqual(v.suppressions, [
    {
      kind: "external",
      status: "accepted",
      justification:
        "VEX not_affected (vulnerable_code_not_in_execute_path: the resolver is never called) in cuda-base.vex.json",
      properties: {
        source: "vex",
        file: "cuda-base.vex.json",
        vexStatus: "not_affected",
        vexJustification: "vulnerable_code_not_in_execute_path",
      },
    },
  ]);
  assert.equal(i.ruleId, ignored.id);
  assert.deepEqual(i.suppressions, [
    {
      kind: "external",
      status: "accepted",
      justification: "ignored until 2999-01-01: timezone data only (.ignore.yaml)",
      properties: { source: "ignore-file", file: ".ignore.yaml", expires: "2999-01-01" },
    },
  ]);
  assert.deepEqual(
    (i as unknown as { partialFingerprints: unknown }).partialFingerprints,
    { "cudaseal/finding": `${ignored.id}/${ignored.package}/${ignored.installed}` },
    "the fingerprint is the finding's, so code scanning keeps one alert when it is suppressed",
  );
  assert.equal(
    JSON.stringify(scanSarif({ ...result, findings: rest, suppressed })),
    JSON.stringify(doc),
    "deterministic",
  );
  // A VEX `fixed` statement needs no justification.
  const fixed = scanSarif({
    ...result,
    findings: [],
    suppressed: [{ ...vexed, suppressedBy: { kind: "vex", status: "fixed", file: "f.vex.json" } }],
  });
  assertValid(fixed);
  assert.equal(fixed.runs[0].results[0].suppressions?.[0].justification, "VEX fixed in f.vex.json");
});
