import assert from "node:assert/strict";
import { test } from "node:test";
import { debianTrackerAdvisories } from "../../src/scan/debian-tracker.ts";
import { matchFindings } from "../../src/scan/match.ts";
import { failsGate, findingsTable, gateFailures, scanJson, severityCounts } from "../../src/scan/report.ts";
import { PACKAGES, TRACKER } from "./fixture.ts";

const findings = matchFindings(PACKAGES, debianTrackerAdvisories(TRACKER), "bookworm");

test("the table has a header and one aligned line per finding", () => {
  const lines = findingsTable(findings).split("\n");
  assert.equal(lines.length, findings.length + 1);
  assert.match(lines[0], /^ID\s+PACKAGE\s+INSTALLED\s+FIXED\s+SEVERITY\s+STATUS$/);
  assert.match(lines[1], /^CVE-2024-0001\s+libc6\s+2\.36-9\+deb12u4\+b1\s+2\.36-9\+deb12u7\s+high\s+fixed$/);
  assert.match(lines[3], /\s+-\s+medium\s+wont-fix$/);
  const column = lines[0].indexOf("PACKAGE");
  for (const line of lines.slice(1)) assert.equal(line[column - 1], " ");
});

test("the JSON has the findings and a count per severity", () => {
  const doc = scanJson({ image: "oci:x", release: "bookworm", packages: 3, findings });
  assert.deepEqual(doc.summary, { critical: 0, high: 1, medium: 2, low: 3, negligible: 1, unknown: 2 });
  assert.deepEqual(JSON.parse(JSON.stringify(doc)).findings[0], {
    id: "CVE-2024-0001",
    package: "libc6",
    source: "glibc",
    installed: "2.36-9+deb12u4+b1",
    fixedVersion: "2.36-9+deb12u7",
    severity: "high",
    status: "fixed",
    description: "glibc: fixed in a later point release",
  });
  assert.deepEqual(severityCounts([]).critical, 0);
});

test("the gate counts findings at or above its severity, and only fixable ones with onlyFixed", () => {
  assert.equal(failsGate(findings, "critical", false), false);
  assert.equal(failsGate(findings, "high", false), true);
  assert.deepEqual(
    gateFailures(findings, "medium", false).map((f) => f.id),
    ["CVE-2024-0001", "CVE-2024-0010", "CVE-2024-0012"],
  );
  assert.deepEqual(
    gateFailures(findings, "medium", true).map((f) => f.id),
    ["CVE-2024-0001", "CVE-2024-0010"],
  );
  // The only high finding is fixable; the low open (no-dsa) one counts only without onlyFixed.
  const lowOnly = findings.filter((f) => f.id === "CVE-2024-0005" || f.severity === "unknown");
  assert.equal(failsGate(lowOnly, "low", false), true);
  assert.equal(failsGate(lowOnly, "low", true), false);
  // unknown and negligible never fail a gate.
  assert.equal(
    failsGate(
      findings.filter((f) => f.severity === "unknown" || f.severity === "negligible"),
      "low",
      false,
    ),
    false,
  );
});
