// `cudaseal compare` end to end: the source fixture image against a variant
// of it that carries what a hardened image should not (a shell, a setuid
// binary, apt, a root user) plus a CUDA library, both written by the
// project's own OCI and Docker archive writers.

import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { ImageStats } from "../../src/compare/index.ts";
import { writeDockerArchive } from "../../src/oci/docker-archive.ts";
import { buildImageConfig } from "../../src/oci/image-config.ts";
import type { BuiltImage } from "../../src/oci/image-plan.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { makeLayer } from "../oci/fixture-image.ts";
import { TRACKER } from "../scan/fixture.ts";
import { startTrackerServer, type TrackerServer } from "../scan/tracker-server.ts";
import { BASE, makeImages, TOP } from "../source/fixture.ts";

const BIN = new URL("../../bin/cudaseal.js", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "cudaseal-compare-"));
const tracker = join(dir, "tracker.json");
const plainRef = `oci:${join(dir, "plain")}`;
const variantRef = `oci:${join(dir, "variant")}`;
const dockerRef = `docker-archive:${join(dir, "variant.docker.tar")}`;
/** The variant, but Debian 13. */
const trixieRef = `oci:${join(dir, "trixie")}`;
let server: TrackerServer;
/** No network: the default cache and feed of every run point into the test dir and at a closed port. */
const ENV = {
  ...process.env,
  CUDASEAL_CACHE_DIR: join(dir, "cache"),
  CUDASEAL_DB_URL: "http://127.0.0.1:9/json",
};

const EXTRA = {
  "bin/sh": "#!shell\n",
  "usr/bin/bash": "#!bash\n",
  "usr/bin/passwd": "passwd\n",
  "usr/bin/wall": "wall\n",
  "usr/bin/apt-get": "apt\n",
  "usr/bin/dpkg": "dpkg\n",
  "etc/os-release": 'ID=debian\nVERSION_ID="12"\n',
  "var/lib/dpkg/status.d/libcublas-12-4":
    "Package: libcublas-12-4\nVersion: 12.4.5.8-1\nArchitecture: amd64\n",
};
let plain: BuiltImage;
let variant: BuiltImage;

before(async () => {
  server = await startTrackerServer(JSON.stringify(TRACKER));
  writeFileSync(tracker, JSON.stringify(TRACKER));
  plain = makeImages(dir).single;
  const [base, top] = plain.platforms[0].layers;
  const extra = makeLayer(dir, "extra", EXTRA, { "usr/bin/passwd": 0o4755, "usr/bin/wall": 0o2755 });
  const layers = [base, top, extra];
  variant = {
    platforms: [
      {
        // No User: the image runs as root.
        config: buildImageConfig({
          arch: "amd64",
          created: new Date("2025-01-02T03:04:05Z"),
          layers: layers.map((l, i) => ({ diffId: l.diffId, createdBy: `variant layer ${i}` })),
        }),
        layers,
      },
    ],
    tag: "v1",
  };
  await writeOciLayout(join(dir, "plain"), plain);
  await writeOciLayout(join(dir, "variant"), variant);
  await writeDockerArchive(join(dir, "variant.docker.tar"), variant, { tag: "variant:v1" });
  const os = makeLayer(dir, "trixie", {
    "etc/os-release": "ID=debian\nVERSION_ID=13\nVERSION_CODENAME=trixie\n",
  });
  const trixieLayers = [...layers, os];
  await writeOciLayout(join(dir, "trixie"), {
    platforms: [
      {
        config: buildImageConfig({
          arch: "amd64",
          created: new Date("2025-01-02T03:04:05Z"),
          layers: trixieLayers.map((l, i) => ({ diffId: l.diffId, createdBy: `trixie layer ${i}` })),
        }),
        layers: trixieLayers,
      },
    ],
    tag: "v1",
  });
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[]) {
  return spawnSync(process.execPath, [BIN, "compare", ...args], { encoding: "utf8", env: ENV });
}

/** cli, without blocking this process: the feed answering it lives here. */
function cliAsync(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, "compare", ...args], { env: ENV }, (err, stdout, stderr) =>
      resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function sizeOf(files: Record<string, string>): number {
  return Object.values(files).reduce((n, c) => n + Buffer.byteLength(c), 0);
}

// The plain image's final files: the whiteout and opaque directory remove etc/gone, opt/d/a, opt/d/sub/b.
const PLAIN_FILES = {
  ...Object.fromEntries(
    Object.entries(BASE).filter(([p]) => !["etc/gone", "opt/d/a", "opt/d/sub/b"].includes(p)),
  ),
  ...Object.fromEntries(Object.entries(TOP).filter(([p]) => !p.includes(".wh."))),
};

function compareJsonOf(args: string[]): ImageStats[] {
  const r = cli([...args, "--arch", "amd64", "--format", "json"]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout).images;
}

test("JSON has every measure of both images", () => {
  const [a, b] = compareJsonOf([plainRef, variantRef, "--db", tracker]);
  const layerSizes = (img: BuiltImage) => img.platforms[0].layers.reduce((n, l) => n + l.size, 0);
  assert.deepEqual(a, {
    image: plainRef,
    compressedSize: layerSizes(plain),
    uncompressedSize: sizeOf(PLAIN_FILES),
    layers: 2,
    packages: 5,
    pythonPackages: 0,
    files: 7,
    setuidFiles: [],
    shells: [],
    packageManagers: [],
    user: "1000:1000",
    // No os-release, so no release to match against: no CVE counts.
    cudaLibraries: [],
  });
  assert.deepEqual(b, {
    image: variantRef,
    compressedSize: layerSizes(variant),
    uncompressedSize: sizeOf(PLAIN_FILES) + sizeOf(EXTRA),
    layers: 3,
    packages: 6,
    pythonPackages: 0,
    files: 7 + Object.keys(EXTRA).length,
    setuidFiles: ["/usr/bin/passwd", "/usr/bin/wall"],
    shells: ["/bin/sh", "/usr/bin/bash"],
    packageManagers: ["apt", "dpkg"],
    user: "root",
    cves: { critical: 0, high: 1, medium: 2, low: 3, negligible: 1, unknown: 2 },
    cudaLibraries: [{ name: "libcublas-12-4", version: "12.4.5.8-1" }],
  });
});

test("a Docker archive reads the same as the OCI layout of the same image", () => {
  const [fromDocker, fromOci] = compareJsonOf([dockerRef, variantRef, "--no-cves"]);
  assert.deepEqual({ ...fromDocker, image: variantRef }, fromOci);
  assert.equal(fromDocker.image, dockerRef);
  assert.equal(fromDocker.cves, undefined, "--no-cves, no CVE counts");
});

test("markdown is a heading, then a table: a header, a separator, one row per measure", () => {
  const r = cli([plainRef, variantRef, "--arch", "amd64", "--db", tracker, "--format", "markdown"]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  assert.equal(lines[0], `## cudaseal compare: ${plainRef} vs ${variantRef}`);
  assert.match(lines[2], /^CVEs counted against debian-tracker from .*tracker\.json\.$/);
  const table = lines.slice(4, lines.indexOf("", 4));
  assert.equal(table[0], `|  | ${plainRef} | ${variantRef} |`);
  assert.equal(table[1], "|---|---:|---:|");
  const rows = table.slice(2).map((l) => l.split(" | ")[0].replace(/^\| /, ""));
  assert.deepEqual(rows, [
    "compressed size",
    "uncompressed size",
    "layers",
    "packages",
    "Python packages",
    "files",
    "setuid/setgid files",
    "shells",
    "package managers",
    "user",
    "CVEs",
    "CUDA libraries",
  ]);
  for (const line of table) assert.match(line, /^\|.*\|$/);
  assert.ok(table.includes("| layers | 2 | 3 |"));
  assert.ok(table.includes("| shells | none | /bin/sh, /usr/bin/bash |"));
  assert.ok(table.includes("| CVEs | unknown release | high 1, medium 2, low 3, negligible 1, unknown 2 |"));
  assert.ok(table.includes("| CUDA libraries | none | 1 |"));
  // The libraries themselves are a section of their own, one row per package.
  const cuda = lines.slice(lines.indexOf("### CUDA libraries") + 2);
  assert.deepEqual(cuda, [
    `| Package | ${plainRef} | ${variantRef} |`,
    "|---|---|---|",
    "| libcublas-12-4 | - | 12.4.5.8-1 |",
  ]);
});

test("the table is the default; usage errors exit 2", () => {
  const r = cli([plainRef, variantRef, "--arch", "amd64", "--no-cves"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^user\s+1000:1000\s+root$/m);
  assert.doesNotMatch(r.stdout, /CVEs/);
  assert.equal(cli([plainRef]).status, 2);
  assert.equal(cli([plainRef, variantRef, "--format", "xml"]).status, 2);
  // The database flags share scan's checks; --no-cves with them contradicts itself.
  assert.equal(cli([plainRef, variantRef, "--db", tracker, "--db-url", server.url]).status, 2);
  assert.equal(cli([plainRef, variantRef, "--db-url", "ftp://x/json"]).status, 2);
  assert.equal(cli([plainRef, variantRef, "--max-db-age", "soon"]).status, 2);
  assert.equal(cli([plainRef, variantRef, "--no-cves", "--db", tracker]).status, 2);
});

test("by default CVEs are counted from the tracker's feed, fetched once for both images and cached", async () => {
  const cache = join(dir, "feed-cache");
  const args = [variantRef, trixieRef, "--arch", "amd64", "--db-url", server.url, "--cache-dir", cache];
  const before = server.statuses.length;
  const first = await cliAsync([...args, "--json"]);
  assert.equal(first.status, 0, first.stderr);
  assert.deepEqual(server.statuses.slice(before), [200], "two releases, one download");
  const doc = JSON.parse(first.stdout);
  assert.equal(doc.database.format, "debian-tracker");
  assert.equal(doc.database.source, server.url);
  assert.equal(doc.database.update, "downloaded");
  // Matched as a local copy of the same data matches them: the feed adds nothing and loses nothing.
  const local = compareJsonOf([variantRef, trixieRef, "--db", tracker]);
  assert.deepEqual(
    doc.images.map((s: ImageStats) => s.cves),
    local.map((s) => s.cves),
  );
  assert.deepEqual(doc.images[0].cves, {
    critical: 0,
    high: 1,
    medium: 2,
    low: 3,
    negligible: 1,
    unknown: 2,
  });
  // Each image is matched against its own release: trixie has its own advisories, none of bookworm's.
  assert.deepEqual(doc.images[1].cves, {
    critical: 0,
    high: 2,
    medium: 0,
    low: 0,
    negligible: 0,
    unknown: 0,
  });
  assert.match(
    first.stderr,
    /CVEs counted against debian-tracker from http:\/\/127\.0\.0\.1:\d+\/tracker\/data\/json/,
  );

  // Next time: one conditional GET answered 304; offline: none, from the cache.
  const second = await cliAsync(args);
  assert.equal(second.status, 0, second.stderr);
  assert.deepEqual(server.statuses.slice(before), [200, 304]);
  // Both references are long, so the row wraps within 100 columns.
  assert.match(second.stdout, /^CVEs\s+high 1, medium 2, low 3, negligible 1,\s+high 2\n\s+unknown 2$/m);
  const offline = await cliAsync([...args, "--offline", "--json"]);
  assert.equal(offline.status, 0, offline.stderr);
  assert.deepEqual(server.statuses.slice(before), [200, 304]);
  assert.deepEqual(JSON.parse(offline.stdout).images, doc.images);
  // Neither image Debian: nothing to match, nothing fetched.
  const none = await cliAsync([
    plainRef,
    plainRef,
    "--arch",
    "amd64",
    "--db-url",
    server.url,
    "--cache-dir",
    join(dir, "none-cache"),
    "--json",
  ]);
  assert.equal(none.status, 0, none.stderr);
  assert.deepEqual(server.statuses.slice(before), [200, 304]);
  assert.equal(JSON.parse(none.stdout).database, undefined);
});

test("without the data, compare fails with scan's codes and points at --no-cves", async () => {
  const empty = join(dir, "empty-cache");
  const offline = await cliAsync([
    plainRef,
    variantRef,
    "--arch",
    "amd64",
    "--cache-dir",
    empty,
    "--offline",
    "--json",
  ]);
  assert.equal(offline.status, 1);
  assert.equal(JSON.parse(offline.stdout).error.code, "SCAN_DB_MISSING");
  assert.match(offline.stderr, /hint: .*--no-cves/);
  const stale = await cliAsync([
    variantRef,
    trixieRef,
    "--arch",
    "amd64",
    "--cache-dir",
    join(dir, "feed-cache"),
    "--db-url",
    server.url,
    "--offline",
    "--max-db-age",
    "0s",
    "--json",
  ]);
  assert.equal(stale.status, 1);
  assert.equal(JSON.parse(stale.stdout).error.code, "SCAN_DB_STALE");
});
