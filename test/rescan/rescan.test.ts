// Rescanning a fleet in a real registry: every tag through the tags list
// (fallback-index tags left out), each image from its SBOM referrer
// (CycloneDX or SPDX, every platform of an index), layers only for the image
// without one, no layer blob read otherwise; damaged SBOMs and missing tags
// are rows with their codes while the rest go on; KEV and EPSS mark and
// order the findings; the gate counts them.

import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  fleetFindings,
  type RescanResult,
  repositoryRefs,
  rescan,
  rescanGate,
  rescanMarkdown,
  rescanSarif,
} from "../../src/rescan/index.ts";
import { openEpss, openKev } from "../../src/scan/index.ts";
import { openFleet } from "../helpers/fleet.ts";
import { startRegistry } from "../helpers/registry.ts";
import { BASE, EPSS, KEV, type RescanFixture, startFixture } from "./fixture.ts";

let fx: RescanFixture;
let refs: string[];
let result: RescanResult;

before(async () => {
  fx = await startFixture();
  refs = await repositoryRefs(fx.repository);
  const kev = (await openKev({ source: KEV, cacheDir: "" })).data;
  const epss = (await openEpss({ source: EPSS, cacheDir: "" })).data;
  result = await rescan([...refs, `${fx.repository}:missing`], {
    db: fx.db,
    priority: { kev, epss },
    jobs: 3,
  });
});
after(() => fx.close());

const row = (tag: string, platform?: string) =>
  result.images.find((i) => i.ref === `${fx.repository}:${tag}` && i.platform === platform);

test("every image tag is listed from the tags list, the referrers fallback tags left out", () => {
  assert.deepEqual(
    refs.map((r) => r.slice(fx.repository.length + 1)),
    ["1.0", "1.1", "broken", "latest", "multi", "nosbom", "wrong"],
  );
});

test("an image is read from its CycloneDX or SPDX referrer, and every platform of an index from its own", () => {
  assert.equal(row("1.0")?.via, "sbom");
  assert.equal(row("1.0")?.sbomFormat, "cyclonedx");
  assert.equal(row("1.0")?.digest, fx.digests["1.0"].digest);
  assert.equal(row("1.0")?.release, "trixie");
  assert.equal(row("1.0")?.packages, 3);
  assert.equal(row("1.1")?.sbomFormat, "spdx");
  assert.equal(row("multi", "linux/amd64")?.digest, fx.digests.multi.platforms[0]);
  assert.equal(row("multi", "linux/arm64")?.digest, fx.digests.multi.platforms[1]);
  assert.equal(row("multi", "linux/arm64")?.indexDigest, fx.digests.multi.digest);
});

test("findings match today's data, KEV first, then EPSS score, then severity", () => {
  // Both KEV entries first, sudo's higher EPSS score ahead; then EPSS 0.210 (low) before 0.00043 (medium).
  assert.deepEqual(
    row("1.0")?.findings.map((f) => f.id),
    ["CVE-2021-3156", "CVE-2023-4911", "CVE-2025-0002", "CVE-2025-0001"],
  );
  // 2.41-12 has glibc's fix: the image built after it lacks that finding.
  assert.deepEqual(
    row("1.1")?.findings.map((f) => f.id),
    ["CVE-2021-3156", "CVE-2025-0002", "CVE-2025-0001"],
  );
  const first = row("1.0")?.findings[1];
  assert.equal(first?.kev?.dateAdded, "2023-11-21");
  assert.equal(first?.epss?.score, 0.71203);
  assert.equal(first?.status, "fixed");
});

test("an image without an SBOM is read from its layers, and said to be", () => {
  const r = row("nosbom");
  assert.equal(r?.via, "layers");
  assert.equal(r?.release, "trixie");
  assert.deepEqual(
    r?.findings.map((f) => f.id),
    ["CVE-2021-3156", "CVE-2023-4911", "CVE-2025-0001"],
  );
});

test("no layer is pulled but the one of the image without an SBOM", () => {
  const layersRead = new Set(fx.proxy.blobGets().filter((d) => fx.fleet.layerDigests.has(d)));
  assert.equal(layersRead.size, 1);
  const noSbomLayer = fx.proxy.requests.some((r) => r.includes(`/manifests/nosbom`));
  assert.ok(noSbomLayer);
});

test("a damaged SBOM, one describing another image and a missing tag are rows with their codes", () => {
  assert.equal(row("broken")?.error?.code, "SBOM_INVALID");
  assert.equal(row("wrong")?.error?.code, "SBOM_INVALID");
  assert.equal(row("missing")?.error?.code, "REGISTRY_NOT_FOUND");
  assert.equal(result.images.filter((i) => i.error).length, 3);
});

test("one image under two tags is read once, and reported under both", () => {
  assert.deepEqual(row("latest")?.findings, row("1.0")?.findings);
  const referrerLookups = fx.proxy.requests.filter((r) =>
    r.includes(`sha256-${fx.digests["1.0"].digest.slice(7)}`),
  );
  assert.equal(referrerLookups.length, 1);
});

test("the fleet's findings count the images that have each, and the gate counts KEV, severity and errors", () => {
  const fleet = fleetFindings(result);
  assert.equal(fleet[0].finding.id, "CVE-2021-3156");
  // 1.0, 1.1, latest, multi ×2, nosbom.
  assert.equal(fleet[0].images.length, 6);
  assert.equal(fleet[1].finding.id, "CVE-2023-4911");
  assert.equal(fleet[1].images.length, 5);
  const verdict = rescanGate(result, { failOn: "critical", failOnKev: true });
  assert.equal(verdict.severity, 0);
  assert.equal(verdict.kev, 11);
  assert.equal(verdict.errors, 3);
  assert.ok(verdict.failed);
});

test("the Markdown summary stays within its budget and the SARIF log has a result per image and finding", () => {
  const md = rescanMarkdown(result, { maxLength: 1500 });
  assert.ok(md.length < 1500);
  assert.match(md, /cudaseal rescan/);
  assert.match(md, /CVE-2023-4911/);
  const sarif = rescanSarif(result) as { runs: { results: { level: string; ruleId: string }[] }[] };
  const total = result.images.reduce((n, i) => n + i.findings.length, 0);
  assert.equal(sarif.runs[0].results.length, total);
  // KEV findings are errors whatever their severity.
  assert.ok(
    sarif.runs[0].results.filter((r) => r.ruleId === "CVE-2023-4911").every((r) => r.level === "error"),
  );
});

test("an unreachable registry is a row with its code, and the others still rescan", async () => {
  const r = await rescan([`127.0.0.1:9/team/cuda:1.0`, `${fx.repository}:1.1`], {
    db: fx.db,
    registry: { retry: { attempts: 1 } },
  });
  assert.equal(r.images[0].error?.code, "REGISTRY_UNREACHABLE");
  assert.equal(r.images[1].via, "sbom");
});

test("data that cannot be had stops the whole rescan with its code, instead of a row per image saying so", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cudaseal-rescan-nodata-"));
  after(() => rm(dir, { recursive: true, force: true }));
  await assert.rejects(
    rescan([`${fx.repository}:1.0`, `${fx.repository}:1.1`], {
      feed: { cacheDir: dir, url: "http://127.0.0.1:9/tracker.json", offline: true },
    }),
    { code: "SCAN_DB_MISSING" },
  );
});

test("a release the data has no advisories for is warned of, not passed in silence", async () => {
  const known = await rescan([`${fx.repository}:1.0`], { db: fx.db });
  assert.deepEqual(known.warnings, []);
  const r = await rescan([`${fx.repository}:1.0`], { db: fx.db, release: "trixy" });
  assert.deepEqual(r.images[0].findings, []);
  assert.equal(r.warnings.length, 1);
});

test("--no-sbom reads the layers of every image", async () => {
  const r = await rescan([`${fx.repository}:1.1`], { db: fx.db, useSbom: false });
  assert.equal(r.images[0].via, "layers");
  assert.deepEqual(r.images[0].findings.map((f) => f.id).sort(), [
    "CVE-2021-3156",
    "CVE-2025-0001",
    "CVE-2025-0002",
  ]);
});

test("an ignore file suppresses findings in every image, as scan's does, and an expired entry is reported", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cudaseal-rescan-ignore-"));
  after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, "ignore.yaml");
  await writeFile(
    file,
    "ignore:\n  - id: CVE-2025-0001\n    reason: not reachable\n    expires: 2099-12-31\n" +
      "  - id: CVE-2025-0002\n    reason: old\n    expires: 2000-01-01\n",
  );
  const r = await rescan([`${fx.repository}:1.0`, `${fx.repository}:1.1`], { db: fx.db, ignoreFile: file });
  for (const image of r.images) {
    assert.ok(!image.findings.some((f) => f.id === "CVE-2025-0001"));
    assert.deepEqual(
      image.suppressed.map((f) => f.id),
      ["CVE-2025-0001"],
    );
  }
  assert.deepEqual(
    r.expiredIgnores.map((e) => e.id),
    ["CVE-2025-0002"],
  );
});

test("a registry with token auth: one scheme probe and one token for every image of the rescan", async () => {
  const reg = await startRegistry({ auth: "token" });
  after(() => reg.stop());
  const credentials = {
    explicit: { username: reg.username as string, password: reg.password as string, registry: reg.host },
  };
  const fleet = openFleet(reg.host, "team/auth", { credentials });
  after(() => fleet.close());
  for (const tag of ["a", "b", "c"]) await fleet.push({ tag, packages: BASE });
  const before = reg.tokenRequests.length;
  const r = await rescan(
    ["a", "b", "c"].map((t) => `${reg.host}/team/auth:${t}`),
    { db: fx.db, registry: { credentials } },
  );
  assert.deepEqual(
    r.images.map((i) => i.via),
    ["sbom", "sbom", "sbom"],
  );
  assert.equal(reg.tokenRequests.length - before, 1);
});
