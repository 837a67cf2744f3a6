import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import type { Finding } from "../../src/scan/advisory.ts";
import { loadIgnoreFile, parseIgnoreFile } from "../../src/scan/ignore-file.ts";
import { suppressFindings } from "../../src/scan/suppress.ts";
import { parseVex } from "../../src/scan/vex.ts";

const dir = mkdtempSync(join(tmpdir(), "cudaseal-scan-ignore-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const finding = (id: string, pkg: string, source = pkg): Finding => ({
  id,
  package: pkg,
  source,
  installed: "1.0-1",
  severity: "high",
  status: "open",
  description: "",
});

test("entries suppress by id and package until the end of their expiry day", async () => {
  const path = join(dir, "ignore.yaml");
  writeFileSync(
    path,
    `# accepted risks
ignore:
  - id: CVE-2024-0001
    package: glibc
    reason: no untrusted input reaches iconv
    expires: 2026-12-31
  - id: CVE-2024-0002
    reason: every package; waiting for the point release
    expires: 2026-11-23
  - id: CVE-2024-0003
    reason: this one has run out
    expires: 2026-11-22
`,
  );
  const entries = await loadIgnoreFile(path);
  assert.deepEqual(
    entries.map((e) => [e.id, e.package, e.expires]),
    [
      ["CVE-2024-0001", "glibc", "2026-12-31"],
      ["CVE-2024-0002", undefined, "2026-11-23"],
      ["CVE-2024-0003", undefined, "2026-11-22"],
    ],
  );
  const findings = [
    finding("CVE-2024-0001", "libc6", "glibc"),
    finding("CVE-2024-0001", "zlib1g", "zlib"),
    finding("CVE-2024-0002", "tzdata"),
    finding("CVE-2024-0003", "tzdata"),
  ];
  const r = suppressFindings(findings, { ignores: entries, today: "2026-11-23" });
  assert.deepEqual(
    r.findings.map((f) => `${f.id} ${f.package}`),
    ["CVE-2024-0001 zlib1g", "CVE-2024-0003 tzdata"],
  );
  assert.deepEqual(
    r.suppressed.map((f) => [f.id, f.package, f.suppressedBy.kind]),
    [
      ["CVE-2024-0001", "libc6", "ignore"],
      ["CVE-2024-0002", "tzdata", "ignore"],
    ],
  );
  assert.deepEqual(
    r.expired.map((e) => e.id),
    ["CVE-2024-0003"],
  );
  const nextDay = suppressFindings(findings, { ignores: entries, today: "2026-11-24" });
  assert.equal(nextDay.suppressed.length, 1);
  assert.equal(nextDay.expired.length, 2);
});

test("VEX is applied before the ignore file, and its verdict is what the report shows", () => {
  const vex = parseVex(
    {
      "@context": "https://openvex.dev/ns/v0.2.0",
      "@id": "x",
      author: "me",
      timestamp: "2026-11-01T00:00:00Z",
      version: 1,
      statements: [
        { vulnerability: { name: "CVE-1" }, status: "not_affected", justification: "component_not_present" },
        { vulnerability: { name: "CVE-2" }, status: "affected" },
      ],
    },
    "a.vex.json",
  );
  const ignores = parseIgnoreFile(
    { ignore: [{ id: "CVE-1", reason: "r", expires: "2030-01-01" }] },
    "i.yaml",
  );
  const r = suppressFindings([finding("CVE-1", "a"), finding("CVE-2", "b")], {
    vex,
    ignores,
    today: "2026-11-23",
  });
  assert.deepEqual(r.suppressed[0].suppressedBy, {
    kind: "vex",
    status: "not_affected",
    justification: "component_not_present",
    impactStatement: undefined,
    file: "a.vex.json",
  });
  assert.deepEqual(
    r.findings.map((f) => f.id),
    ["CVE-2"],
    "an affected statement keeps the finding",
  );
});

test("ignore files that break the schema are IGNORE_FILE_INVALID", async () => {
  const entry = { id: "CVE-1", reason: "r", expires: "2030-01-01" };
  const cases: unknown[] = [
    [entry],
    { ignores: [entry] },
    { ignore: entry },
    { ignore: ["CVE-1"] },
    { ignore: [{ ...entry, reason: undefined }] },
    { ignore: [{ ...entry, reason: "  " }] },
    { ignore: [{ ...entry, expires: undefined }] },
    { ignore: [{ ...entry, expires: "2030-02-30" }] },
    { ignore: [{ ...entry, expires: "next year" }] },
    { ignore: [{ ...entry, id: 5 }] },
    { ignore: [{ ...entry, pakage: "libc6" }] },
  ];
  for (const [i, data] of cases.entries()) {
    assert.throws(
      () => parseIgnoreFile(data, "i.yaml"),
      (err) => isCudasealError(err, "IGNORE_FILE_INVALID"),
      `case ${i}`,
    );
  }
  assert.deepEqual(parseIgnoreFile(null, "empty.yaml"), []);
  assert.deepEqual(parseIgnoreFile({ ignore: null }, "empty.yaml"), []);
  const bad = join(dir, "bad.yaml");
  writeFileSync(bad, "ignore: [unclosed");
  await assert.rejects(loadIgnoreFile(bad), (err) => isCudasealError(err, "IGNORE_FILE_INVALID"));
  await assert.rejects(loadIgnoreFile(join(dir, "missing.yaml")), (err) =>
    isCudasealError(err, "IGNORE_FILE_INVALID"),
  );
});
