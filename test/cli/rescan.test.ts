// `cudaseal rescan` end to end against a real registry: a repository's every
// tag with KEV and EPSS files, as JSON, a table, Markdown and SARIF; the
// exit code of the gate; the KEV feed through the cache from a local server
// and then offline; a catalog's images; and the usage errors.

import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { runCli } from "../helpers/cli.ts";
import { EPSS, KEV, type RescanFixture, startFixture } from "../rescan/fixture.ts";
import { startTrackerServer } from "../scan/tracker-server.ts";

let fx: RescanFixture;
let work: string;
before(async () => {
  fx = await startFixture();
  work = await mkdtemp(join(tmpdir(), "cudaseal-rescan-cli-"));
});
after(async () => {
  await fx.close();
  await rm(work, { recursive: true, force: true });
});

test("a repository rescans as JSON, KEV findings first, and --fail-on-kev fails the gate", async () => {
  const r = await runCli([
    "rescan",
    "--repository",
    fx.repository,
    "--db",
    fx.db,
    "--kev",
    KEV,
    "--epss",
    `${EPSS}.gz`,
    "--json",
    "--fail-on-kev",
  ]);
  assert.equal(r.status, 1, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.summary.images, 8);
  assert.equal(doc.summary.failed, 2);
  assert.equal(doc.summary.fromLayers, 1);
  assert.equal(doc.fleet[0].id, "CVE-2021-3156");
  assert.equal(doc.fleet[0].kev.dateAdded, "2022-04-06");
  assert.equal(doc.feeds.epss.modelVersion, "v2025.03.14");
  assert.match(r.stderr, /findings in the KEV catalog/);
});

test("the table names how each image was read and each failure's code; no gate, no failure but the errors", async () => {
  const r = await runCli(["rescan", `${fx.repository}:1.0`, `${fx.repository}:nosbom`, "--db", fx.db]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /sbom \(cyclonedx\)/);
  assert.match(r.stdout, /layers/);
  assert.match(r.stdout, /Images: 2 \(1 from their SBOM, 1 from their layers, 0 failed\)/);
  const bad = await runCli(["rescan", `${fx.repository}:broken`, "--db", fx.db]);
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /SBOM_INVALID/);
});

test("--format markdown and --format sarif", async () => {
  const md = await runCli([
    "rescan",
    `${fx.repository}:1.0`,
    "--db",
    fx.db,
    "--kev",
    KEV,
    "--format",
    "markdown",
  ]);
  assert.equal(md.status, 0, md.stderr);
  assert.match(md.stdout, /^## cudaseal rescan/);
  assert.match(md.stdout, /\*\*yes\*\*/);
  const sarif = await runCli(["rescan", `${fx.repository}:1.0`, "--db", fx.db, "--format", "sarif"]);
  assert.equal(JSON.parse(sarif.stdout).version, "2.1.0");
});

test("--fail-on high counts the findings of every image", async () => {
  const r = await runCli(["rescan", `${fx.repository}:1.1`, "--db", fx.db, "--fail-on", "high"]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /1 findings of severity high or worse/);
});

test("--kev feed downloads through the cache, then works offline", async () => {
  const server = await startTrackerServer(await readFile(KEV, "utf8"));
  after(() => server.close());
  const cache = join(work, "cache");
  const env = { CUDASEAL_KEV_URL: server.url };
  const args = [
    "rescan",
    `${fx.repository}:1.0`,
    "--db",
    fx.db,
    "--kev",
    "feed",
    "--cache-dir",
    cache,
    "--json",
  ];
  const first = await runCli(args, { env });
  assert.equal(first.status, 0, first.stderr);
  assert.equal(JSON.parse(first.stdout).feeds.kev.update, "downloaded");
  const offline = await runCli([...args, "--offline"], { env });
  assert.equal(JSON.parse(offline.stdout).feeds.kev.update, "cached");
  assert.equal(server.statuses.length, 1);
});

test("a damaged KEV file fails with FEED_INVALID before any image is read", async () => {
  const bad = join(work, "kev.json");
  await writeFile(bad, '{"vulnerabilities": 3}');
  const before = fx.proxy.requests.length;
  const r = await runCli(["rescan", `${fx.repository}:1.0`, "--db", fx.db, "--kev", bad]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /FEED_INVALID/);
  assert.equal(fx.proxy.requests.length, before);
});

test("--from-catalog rescans the final tags of a catalog's images", async () => {
  const catalog = join(work, "catalog.yaml");
  await writeFile(
    catalog,
    `images:\n  - name: cuda\n    preset: cuda-base\n    repository: ${fx.repository}\n    archs: [amd64]\n    tags: ["1.0"]\n`,
  );
  const r = await runCli(["rescan", "--from-catalog", catalog, "--db", fx.db, "--json"]);
  const doc = JSON.parse(r.stdout || "{}");
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(
    doc.images.map((i: { ref: string }) => i.ref),
    [`${fx.repository}:1.0`],
  );
});

test("usage: nothing to rescan, an unknown gate, --fail-on-kev without --kev", async () => {
  assert.equal((await runCli(["rescan", "--db", fx.db])).status, 2);
  assert.equal((await runCli(["rescan", `${fx.repository}:1.0`, "--fail-on", "severe"])).status, 2);
  assert.equal((await runCli(["rescan", `${fx.repository}:1.0`, "--db", fx.db, "--fail-on-kev"])).status, 2);
});

test("--username with images in two registries is USAGE before the password is read: it must not reach the other", async () => {
  const r = await runCli([
    "rescan",
    `${fx.repository}:1.0`,
    "127.0.0.1:9/team/cuda:1.0",
    "--db",
    fx.db,
    "--username",
    "robot",
    "--password-stdin",
    "--json",
  ]);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(JSON.parse(r.stdout).error.code, "USAGE");
});
