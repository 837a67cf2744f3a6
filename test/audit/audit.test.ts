// auditImage on real image layouts: every finding docs/audit.md names, located
// at its layer and path, secrets redacted, deleted secrets still found.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { auditImage } from "../../src/audit/index.ts";
import { type Finding, findingsJson, findingsSarif, gateFailures } from "../../src/findings/index.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { badImage, cleanImage, SECRETS } from "./fixture.ts";

const NOW = new Date("2026-06-15T12:00:00Z");
const dir = mkdtempSync(join(tmpdir(), "cudaseal-audit-"));
let bad: Finding[] = [];
let badJson = "";

before(async () => {
  await writeOciLayout(join(dir, "bad"), badImage(dir, NOW));
  await writeOciLayout(join(dir, "clean"), cleanImage(dir, NOW));
  const { report } = await auditImage(`oci:${join(dir, "bad")}:v1`, { arch: "amd64", now: NOW });
  bad = report.findings;
  badJson = JSON.stringify([findingsJson(report), findingsSarif(report)]);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const of = (id: string) => bad.filter((f) => f.id === id);
const paths = (id: string) =>
  of(id)
    .map((f) => f.evidence.path)
    .sort();

test("every layer of the fixture reads whole", () => {
  assert.deepEqual(of("CS-LAYER-UNREADABLE"), []);
});

test("config: no user, secrets in Env and history, labels, healthcheck, age, floating base", () => {
  assert.equal(of("CS-USER-MISSING").length, 1);
  assert.deepEqual(
    of("CS-SECRET-ENV").map((f) => f.evidence.field),
    ["config.Env[HF_TOKEN]"],
    "the GPG_KEY fingerprint is public data, not a secret",
  );
  const history = of("CS-SECRET-HISTORY");
  assert.equal(history.length, 1);
  assert.equal(history[0].evidence.field, "history[1].created_by");
  assert.match(history[0].message, /build argument GITHUB_TOKEN/);
  assert.deepEqual(
    of("CS-LABEL-MISSING").map((f) => f.evidence.field),
    ["created", "source", "revision", "version"].map((k) => `config.Labels[org.opencontainers.image.${k}]`),
  );
  assert.equal(of("CS-HEALTHCHECK-MISSING")[0]?.severity, "info");
  assert.match(of("CS-IMAGE-STALE")[0]?.message ?? "", /400 days ago/);
  assert.equal(of("CS-BASE-LATEST").length, 1);
});

test("files: setuid, setgid, world-writable (not sticky /tmp), tools by name and content", () => {
  assert.deepEqual(paths("CS-FILE-SETUID"), ["/bin/su", "/usr/bin/passwd"]);
  assert.deepEqual(paths("CS-FILE-SETGID"), ["/usr/bin/wall"]);
  assert.deepEqual(paths("CS-FILE-WORLD-WRITABLE"), ["/srv/shared"]);
  assert.deepEqual(paths("CS-FILE-SHELL"), ["/bin/bash"]);
  assert.deepEqual(paths("CS-FILE-PACKAGE-MANAGER"), ["/usr/bin/apt-get", "/usr/bin/pip3"]);
  assert.deepEqual(paths("CS-FILE-COMPILER"), ["/usr/bin/gcc-12"]);
  assert.deepEqual(paths("CS-FILE-NETWORK-TOOL"), ["/usr/bin/curl"]);
  assert.equal(of("CS-FILE-SHELL")[0].evidence.layer, 0);
  assert.equal(of("CS-FILE-SHELL")[0].evidence.inFinalFs, true);
  assert.equal(of("CS-PACKAGE-DB-MISSING").length, 1);
});

test("NVIDIA: bundled driver libraries (not the toolkit's stubs), capabilities=all, NVIDIA_REQUIRE_CUDA missing", () => {
  assert.deepEqual(paths("CS-NVIDIA-DRIVER-BUNDLED"), [
    "/usr/lib/x86_64-linux-gnu/libcuda.so.1",
    "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.550.54.15",
  ]);
  assert.equal(of("CS-NVIDIA-CAPABILITIES-ALL").length, 1);
  assert.match(of("CS-NVIDIA-REQUIRE-CUDA-MISSING")[0]?.message ?? "", /12\.4\.127.*cuda>=12\.4/);
  assert.equal(of("CS-NVIDIA-ENV-MISSING").length, 0);
});

test("a secret added in layer 1 and deleted in layer 2 is found in layer 1, marked, and redacted", () => {
  const key = of("CS-SECRET-PRIVATE-KEY");
  assert.equal(key.length, 1);
  assert.deepEqual(
    { path: key[0].evidence.path, layer: key[0].evidence.layer, inFinalFs: key[0].evidence.inFinalFs },
    { path: "/root/.ssh/id_ed25519", layer: 1, inFinalFs: false },
  );
  assert.match(key[0].message, /deleted by layer 2, still in layer 1/);
  assert.match(key[0].message, /\(OPENSSH PRIVATE KEY\).*b3Bl…\(\d+ chars\)/);
  // The opaque directory hid the AWS credentials; the .env was whited out.
  const aws = of("CS-SECRET-AWS-KEY");
  assert.equal(aws.length, 1);
  assert.equal(aws[0].evidence.inFinalFs, false);
  assert.match(aws[0].message, /AKIA…\(20 chars\)/);
  assert.deepEqual(paths("CS-SECRET-FILE"), ["/app/.env", "/root/.aws/credentials", "/root/.ssh/id_ed25519"]);
  const generic = of("CS-SECRET-GENERIC");
  assert.deepEqual(
    generic.map((f) => [f.evidence.path, f.evidence.line, f.evidence.inFinalFs]),
    [["/app/.env", 1, false]],
  );
  // Still in the final file system: the tokens in settings.py, at their lines.
  assert.deepEqual(
    [...of("CS-SECRET-HUGGINGFACE-TOKEN"), ...of("CS-SECRET-GITHUB-TOKEN")].map((f) => [
      f.evidence.line,
      f.evidence.inFinalFs,
    ]),
    [
      [3, true],
      [4, true],
    ],
  );
  // README's placeholders are not secrets.
  assert.ok(!bad.some((f) => f.evidence.path === "/app/README.md"));
});

test("no secret appears whole in any output", () => {
  for (const [name, value] of Object.entries(SECRETS)) {
    const probe = name === "privateKey" ? value.split("\n")[1] : value;
    assert.ok(!badJson.includes(probe), `${name} leaked`);
    assert.ok(!badJson.includes(probe.slice(0, 12)), `${name} leaked in part`);
  }
});

test("a cudaseal-style image has no high findings, and nothing above low", async () => {
  const { report } = await auditImage(`oci:${join(dir, "clean")}`, { arch: "amd64", now: NOW });
  assert.deepEqual(gateFailures(report.findings, "high"), []);
  assert.deepEqual(
    report.findings.map((f) => f.id),
    [],
    JSON.stringify(report.findings, null, 2),
  );
  assert.equal(report.properties?.cudaRuntime, "12.4.127");
});

test("the age limit follows --max-age", async () => {
  const { report } = await auditImage(`oci:${join(dir, "clean")}`, {
    arch: "amd64",
    now: new Date(NOW.getTime() + 10 * 86_400_000),
    maxAgeDays: 7,
  });
  assert.deepEqual(
    report.findings.map((f) => f.id),
    ["CS-IMAGE-STALE"],
  );
});
