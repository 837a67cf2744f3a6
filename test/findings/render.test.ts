// Table, JSON and the gate over the shared findings.

import assert from "node:assert/strict";
import { test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { findingsJson, findingsTable, gateFailures, parseFailOn, redact } from "../../src/findings/index.ts";
import { IMAGE_FINDINGS } from "./sample.ts";

test("the table is worst first, one line per finding, says where", () => {
  const lines = findingsTable(IMAGE_FINDINGS).split("\n");
  assert.equal(lines.length, 5);
  assert.match(lines[0], /^SEVERITY\s+RULE\s+WHERE\s+MESSAGE$/);
  assert.match(
    lines[1],
    /^critical\s+CS-SECRET-PRIVATE-KEY\s+\/root\/my key#1\.pem \(layer 1, deleted later\)/,
  );
  assert.match(lines[2], /^high\s+CS-USER-ROOT\s+config\.User/);
  assert.equal(findingsTable([]), "");
});

test("JSON counts every severity and keeps what the policy waived", () => {
  const doc = findingsJson({ tool: "audit", target: "oci:x", kind: "image", findings: IMAGE_FINDINGS });
  assert.deepEqual(doc.summary, { critical: 1, high: 1, medium: 2, low: 0, info: 0 });
  assert.deepEqual(doc.suppressed, []);
});

test("the gate fails on the named severity or worse", () => {
  assert.equal(gateFailures(IMAGE_FINDINGS, "critical").length, 1);
  assert.equal(gateFailures(IMAGE_FINDINGS, "high").length, 2);
  assert.equal(gateFailures(IMAGE_FINDINGS, "info").length, 4);
  assert.equal(parseFailOn("HIGH"), "high");
  try {
    parseFailOn("severe");
    assert.fail("accepted");
  } catch (err) {
    assert.ok(isCudasealError(err, "USAGE"));
  }
});

test("redaction keeps four characters and the length", () => {
  assert.equal(redact("AKIAIOSFODNN7EXAMPLE"), "AKIA…(20 chars)");
  assert.equal(redact("abc"), "a…(3 chars)");
  assert.ok(!redact("hf_abcdefghijklmnopqrstuvwxyz0123456789").includes("abcdefgh"));
});
