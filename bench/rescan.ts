// The rescan benchmark: a fleet of tagged images, each with its CycloneDX
// SBOM as an OCI referrer (as `build --push` leaves them), in a local
// docker-registry, rescanned by `cudaseal rescan --repository` against the
// full-size synthetic tracker document (bench/synthetic-tracker.ts), with
// KEV and EPSS files, through a recording proxy that counts every request
// and every blob read, so a layer pulled shows.
//
//   npm run bench -- --rescan [--images N] [--packages N] [--runs N] [--jobs N] [--keep]
//   npx node bench/rescan.ts  [same flags]
//
// Set-up, not timed: the registry, the synthetic tracker served from
// 127.0.0.1 with an ETag, N images pushed ten at a time (tiny: one layer
// shared per package set of five, a config of their own, and an SBOM whose
// package set is the image's own, one package rebuilt, so no two images
// match alike), and one rescan of a single tag that downloads the tracker
// data and writes its compact cache. Timed, under time(1), in a fresh
// process: `cudaseal rescan --repository … --kev … --epss … --json`, the
// data refreshed with a conditional GET (304). The target: every image in
// 60 s or less on this machine's cores, no layer blob read. Results go to stdout
// as a table and to bench/results/<date>-rescan.json.

import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { InstalledPackage } from "../src/source/packages.ts";
import { mapPool } from "../src/util/pool.ts";
import { openFleet } from "../test/helpers/fleet.ts";
import { startRecordingProxy } from "../test/helpers/recording-proxy.ts";
import { startRegistry } from "../test/helpers/registry.ts";
import { median, type Sample, timeShell } from "./measure.ts";
import { syntheticPackages, syntheticTracker } from "./synthetic-tracker.ts";

const ROOT = resolve(import.meta.dirname, "..");
const CLI = join(ROOT, "bin", "cudaseal.js");
const FIXTURES = join(ROOT, "test", "fixtures", "kev-epss");
const TARGET_S = 60;
const PACKAGE_SETS = 5;

export interface RescanBenchOptions {
  images: number;
  packages: number;
  runs: number;
  jobs?: number;
  keep: boolean;
}

interface RunResult {
  sample: Sample;
  requests: number;
  blobGets: number;
  layerGets: number;
  images: number;
  fromSbom: number;
  failed: number;
  findings: number;
}

/** Run the benchmark; the exit code (1 when a rescan failed, a layer was read or the target was missed). */
export async function rescanBench(options: RescanBenchOptions): Promise<number> {
  const work = await mkdtemp(join(tmpdir(), "cudaseal-rescan-bench-"));
  const note = (text: string) => process.stderr.write(`${text}\n`);
  const loadAtStart = loadavg();
  const registry = await startRegistry();
  const proxy = await startRecordingProxy(registry.host);
  const fleet = openFleet(registry.host, "bench/fleet");
  const tracker = Buffer.from(syntheticTracker());
  const etag = `"${createHash("sha256").update(tracker).digest("hex").slice(0, 16)}"`;
  const server = createServer((req, res) => {
    if (req.headers["if-none-match"] === etag) {
      res.writeHead(304, { etag });
      res.end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json", "content-length": tracker.length, etag });
    res.end(tracker);
  });
  try {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tracker/data/json`;
    const sets: InstalledPackage[][] = Array.from({ length: PACKAGE_SETS }, (_, k) =>
      syntheticPackages(options.packages + 7 * k),
    );
    note(
      `work dir ${work}; pushing ${options.images} images of ${options.packages}+ packages with SBOM referrers to ${registry.host}`,
    );
    const pushStarted = performance.now();
    await mapPool(
      Array.from({ length: options.images }, (_, i) => i),
      10,
      async (i) => {
        // Each image's SBOM lists a package set of its own (one package rebuilt), so no two
        // images match alike; the layers, which a rescan from SBOMs never reads, are shared.
        const base = sets[i % PACKAGE_SETS];
        const own = i % base.length;
        await fleet.push({
          tag: `v${String(i).padStart(5, "0")}`,
          packages: base.map((p, j) => (j === own ? { ...p, version: `${p.version}+b${i}` } : p)),
          layerPackages: base,
          sbom: "cyclonedx",
          release: { versionId: "12", codename: "bookworm" },
        });
        if ((i + 1) % 100 === 0) note(`  pushed ${i + 1}`);
      },
    );
    note(`pushed in ${((performance.now() - pushStarted) / 1000).toFixed(1)} s`);

    const cache = join(work, "cache");
    const repository = `${proxy.host}/bench/fleet`;
    const base = [q(process.execPath), q(CLI), "rescan"];
    const flags = [
      "--db-url",
      q(url),
      "--cache-dir",
      q(cache),
      "--kev",
      q(join(FIXTURES, "known_exploited_vulnerabilities.json")),
      "--epss",
      q(join(FIXTURES, "epss_scores-2026-12-06.csv.gz")),
      ...(options.jobs ? ["--jobs", String(options.jobs)] : []),
    ];
    note("warming the tracker cache with one untimed rescan of a single tag");
    const warm = await timeShell([...base, q(`${repository}:v00000`), ...flags, "--quiet"].join(" "), {
      shell: "sh",
      stdoutFile: join(work, "warm.out"),
      stderrFile: join(work, "warm.err"),
      timeFile: join(work, "warm.time"),
    });
    if (warm.exitCode !== 0)
      throw new Error(`warm-up failed: ${await readFile(join(work, "warm.err"), "utf8")}`);

    const runs: RunResult[] = [];
    let failed = false;
    for (let i = 0; i < options.runs; i++) {
      const before = proxy.requests.length;
      const out = join(work, `run-${i}.json`);
      const sample = await timeShell([...base, "--repository", q(repository), ...flags, "--json"].join(" "), {
        shell: "sh",
        stdoutFile: out,
        stderrFile: join(work, `run-${i}.err`),
        timeFile: join(work, `run-${i}.time`),
      });
      const requests = proxy.requests.slice(before);
      const blobs = requests.flatMap((r) => {
        const m = /^GET \/v2\/.+\/blobs\/(sha256:[0-9a-f]{64})/.exec(r);
        return m ? [m[1]] : [];
      });
      const doc = JSON.parse((await readFile(out, "utf8")) || "{}") as {
        summary?: { images: number; failed: number; fromSbom: number; findings: Record<string, number> };
      };
      const summary = doc.summary;
      const result: RunResult = {
        sample,
        requests: requests.length,
        blobGets: blobs.length,
        layerGets: blobs.filter((d) => fleet.layerDigests.has(d)).length,
        images: summary?.images ?? 0,
        fromSbom: summary?.fromSbom ?? 0,
        failed: summary?.failed ?? -1,
        findings: Object.values(summary?.findings ?? {}).reduce((a, b) => a + b, 0),
      };
      runs.push(result);
      if (result.failed !== 0 || result.layerGets > 0 || result.images !== options.images) {
        failed = true;
        note(
          `  run ${i + 1} wrong: ${(await readFile(join(work, `run-${i}.err`), "utf8")).trim().slice(-2000)}`,
        );
      }
      note(
        `[rescan ${i + 1}/${options.runs}] ${sample.wallS.toFixed(2)} s wall, ${sample.cpuS.toFixed(2)} s CPU, ` +
          `${(sample.peakRssKiB / 1024).toFixed(0)} MiB peak, ${result.requests} requests, ${result.layerGets} layer GETs`,
      );
    }

    const wall = median(runs.map((r) => r.sample.wallS));
    const pass = wall <= TARGET_S && runs.every((r) => r.layerGets === 0);
    const last = runs[runs.length - 1];
    const lines = [
      `load average ${loadAtStart.map((l) => l.toFixed(1)).join(" ")} at the start, ${loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")} at the end`,
      `cudaseal rescan bench: ${options.images} images with SBOM referrers, ${options.packages}+ packages each, ` +
        `${(tracker.length / 1e6).toFixed(1)} MB tracker JSON (304, compact cache), ${options.runs} run(s), medians; ${availableParallelism()} cores`,
      "",
      "| images | wall s | CPU s | peak RSS MiB | requests | blob GETs | layer GETs | findings | target |",
      "| -----: | -----: | ----: | -----------: | -------: | --------: | ---------: | -------: | ------ |",
      `| ${last.images} | ${wall.toFixed(2)} | ${median(runs.map((r) => r.sample.cpuS)).toFixed(2)} | ` +
        `${(median(runs.map((r) => r.sample.peakRssKiB)) / 1024).toFixed(0)} | ${last.requests} | ${last.blobGets} | ` +
        `${last.layerGets} | ${last.findings} | ≤ ${TARGET_S} s, 0 layers: ${pass ? "pass" : "FAIL"} |`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    const resultsDir = join(ROOT, "bench", "results");
    await mkdir(resultsDir, { recursive: true });
    const path = join(
      resultsDir,
      `${new Date().toISOString().slice(0, 19).replaceAll(":", "-")}Z-rescan.json`,
    );
    await writeFile(
      path,
      `${JSON.stringify(
        {
          images: options.images,
          packages: options.packages,
          trackerBytes: tracker.length,
          host: {
            cores: availableParallelism(),
            cpu: cpus()[0]?.model,
            node: process.version,
            loadavg: loadavg(),
          },
          runs,
        },
        null,
        2,
      )}\n`,
    );
    note(`wrote ${path}`);
    return failed || !pass ? 1 : 0;
  } finally {
    server.close();
    fleet.close();
    await proxy.close();
    await registry.stop();
    if (options.keep) note(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
}

function q(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The command line; the exit code. */
export async function rescanBenchMain(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      images: { type: "string", default: "1000" },
      packages: { type: "string", default: "300" },
      runs: { type: "string", default: "1" },
      jobs: { type: "string" },
      keep: { type: "boolean", default: false },
    },
  });
  const int = (name: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`bench/rescan.ts: --${name} takes a positive whole number`);
    return n;
  };
  return rescanBench({
    images: int("images", values.images) ?? 1000,
    packages: int("packages", values.packages) ?? 300,
    runs: int("runs", values.runs) ?? 1,
    jobs: int("jobs", values.jobs),
    keep: values.keep === true,
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await rescanBenchMain(process.argv.slice(2));
}
