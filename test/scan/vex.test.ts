import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import type { Finding } from "../../src/scan/advisory.ts";
import { loadVex, parseVex, vexVerdict } from "../../src/scan/vex.ts";
import { vexDocument } from "./fixture.ts";

const dir = mkdtempSync(join(tmpdir(), "cudaseal-scan-vex-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const DIGEST = `sha256:${"ab".repeat(32)}`;
const OTHER = `sha256:${"cd".repeat(32)}`;
const imagePurl = (digest: string) =>
  `pkg:oci/cuda-base@${digest.replace(":", "%3A")}?repository_url=registry.example%2Fcuda-base`;

const finding = (id: string, pkg: string, source = pkg, installed = "1.0-1"): Finding => ({
  id,
  package: pkg,
  source,
  installed,
  severity: "high",
  status: "fixed",
  fixedVersion: "1.0-2",
  description: "",
});

test("a statement names the image by digest purl or hash, optionally narrowed to subcomponents", () => {
  const statements = parseVex(
    vexDocument([
      {
        vulnerability: { name: "CVE-2024-0001" },
        products: [
          { "@id": imagePurl(DIGEST), subcomponents: [{ "@id": "pkg:deb/debian/libc6@1.0-1?arch=amd64" }] },
        ],
        status: "not_affected",
        justification: "vulnerable_code_not_in_execute_path",
      },
      {
        vulnerability: { name: "CVE-2024-0002", aliases: ["GHSA-xxxx"] },
        products: [{ "@id": "urn:example:image", hashes: { "sha-256": "ab".repeat(32) } }],
        status: "fixed",
      },
      {
        vulnerability: { name: "CVE-2024-0003" },
        products: [{ "@id": "pkg:deb/debian/glibc" }],
        status: "not_affected",
        impact_statement: "only the static helper is shipped",
      },
      {
        vulnerability: { name: "CVE-2024-0004" },
        status: "not_affected",
        justification: "component_not_present",
      },
    ]),
    "doc.json",
  );
  assert.equal(
    vexVerdict(statements, finding("CVE-2024-0001", "libc6", "glibc"), DIGEST)?.status,
    "not_affected",
  );
  assert.equal(vexVerdict(statements, finding("CVE-2024-0001", "libc6", "glibc"), OTHER), undefined);
  // An image read through an index is known by two digests (manifest, index): either names it.
  assert.equal(
    vexVerdict(statements, finding("CVE-2024-0001", "libc6", "glibc"), [OTHER, DIGEST])?.status,
    "not_affected",
  );
  assert.equal(vexVerdict(statements, finding("CVE-2024-0001", "libc6", "glibc"), [OTHER]), undefined);
  assert.equal(vexVerdict(statements, finding("CVE-2024-0001", "libc-bin", "glibc"), DIGEST), undefined);
  assert.equal(
    vexVerdict(statements, finding("CVE-2024-0001", "libc6", "glibc", "1.0-0"), DIGEST),
    undefined,
    "a versioned purl covers only that version",
  );
  assert.equal(vexVerdict(statements, finding("CVE-2024-0002", "zlib1g", "zlib"), DIGEST)?.status, "fixed");
  assert.equal(vexVerdict(statements, finding("GHSA-xxxx", "zlib1g", "zlib"), DIGEST)?.status, "fixed");
  assert.equal(
    vexVerdict(statements, finding("CVE-2024-0003", "libc6", "glibc"), OTHER)?.status,
    "not_affected",
  );
  assert.equal(
    vexVerdict(statements, finding("CVE-2024-0004", "anything"), undefined)?.status,
    "not_affected",
  );
});

test("the newest statement on a finding wins", () => {
  const statements = parseVex(
    vexDocument([
      {
        vulnerability: { name: "CVE-2024-0001" },
        status: "not_affected",
        justification: "vulnerable_code_not_present",
        timestamp: "2026-11-10T00:00:00Z",
      },
      { vulnerability: { name: "CVE-2024-0001" }, status: "affected", action_statement: "upgrade" },
      {
        vulnerability: { name: "CVE-2024-0001" },
        status: "under_investigation",
        timestamp: "2026-11-20T00:00:00Z",
      },
    ]),
    "doc.json",
  );
  assert.equal(
    vexVerdict(statements, finding("CVE-2024-0001", "libc6"), DIGEST)?.status,
    "under_investigation",
  );
  assert.equal(
    vexVerdict(statements.slice(0, 2), finding("CVE-2024-0001", "libc6"), DIGEST)?.status,
    "not_affected",
  );
});

test("documents that break the spec are VEX_INVALID", async () => {
  const ok = { vulnerability: { name: "CVE-1" }, status: "fixed" };
  const cases: unknown[] = [
    [],
    { ...vexDocument([ok]), "@context": "https://example.com" },
    { ...vexDocument([ok]), "@id": undefined },
    { ...vexDocument([ok]), version: "1" },
    { ...vexDocument([ok]), timestamp: "yesterday" },
    { ...vexDocument([ok]), statements: {} },
    vexDocument([{ vulnerability: "CVE-1", status: "fixed" }]),
    vexDocument([{ vulnerability: { name: "CVE-1" }, status: "maybe" }]),
    vexDocument([{ vulnerability: { name: "CVE-1" }, status: "not_affected" }]),
    vexDocument([{ ...ok, status: "not_affected", justification: "we_said_so" }]),
    vexDocument([{ ...ok, products: "pkg:oci/x" }]),
    vexDocument([{ ...ok, products: [{}] }]),
    vexDocument([
      { ...ok, products: [{ "@id": imagePurl(DIGEST), subcomponents: [{ "@id": "cpe:/a:x" }] }] },
    ]),
    vexDocument([{ ...ok, timestamp: 5 }]),
  ];
  for (const [i, doc] of cases.entries()) {
    assert.throws(
      () => parseVex(doc, "doc.json"),
      (err) => isCudasealError(err, "VEX_INVALID"),
      `case ${i}`,
    );
  }
  const notJson = join(dir, "bad.json");
  writeFileSync(notJson, "{");
  await assert.rejects(loadVex(notJson), (err) => isCudasealError(err, "VEX_INVALID"));
  await assert.rejects(loadVex(join(dir, "missing.json")), (err) => isCudasealError(err, "VEX_INVALID"));
  const good = join(dir, "good.json");
  writeFileSync(good, JSON.stringify(vexDocument([ok])));
  assert.equal((await loadVex(good))[0].file, good);
});
