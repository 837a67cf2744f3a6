// The scan benchmark: a full-size synthetic Debian Security Tracker document
// (45,000 CVEs over 5,000 source packages, five releases each, ~70 MB, in
// the published shape) served from 127.0.0.1 with an ETag, as the tracker
// serves it, and an OCI image whose dpkg database holds 2,000 packages.
//
//   npm run bench -- --scan [--runs N] [--keep]
//   npx node bench/scan.ts [--runs N] [--keep]
//
// Rows, each a full scan of the 2,000 packages:
//   first    an empty cache: download, parse the whole JSON, write the
//            release's compact cache, match
//   second   a conditional GET answered 304, the compact cache, match
//   offline  --offline: the compact cache, match, no request
// Each is timed twice: in this process, through openVulnerabilityDatabase and
// matchFindings (the path scanImage takes once the image is read), and end to
// end, `cudaseal scan IMAGE --json` in a fresh process under time(1), which
// adds Node's start, loading the modules and reading the image. Results go to
// stdout as a table and to bench/results/<date>-scan.json.

import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { writeOciLayout } from "../src/oci/layout-writer.ts";
import { matchFindings } from "../src/scan/match.ts";
import { openVulnerabilityDatabase } from "../src/scan/vulnerability-db.ts";
import type { InstalledPackage } from "../src/source/packages.ts";
import { makeLayer, platformImage } from "../test/oci/fixture-image.ts";
import { median, type Sample, timeShell } from "./measure.ts";
import { syntheticPackages, syntheticTracker } from "./synthetic-tracker.ts";

const ROOT = resolve(import.meta.dirname, "..");
const CLI = join(ROOT, "bin", "cudaseal.js");
const RELEASE = "bookworm";
const ROWS = ["first", "second", "offline"] as const;
type RowId = (typeof ROWS)[number];
const TARGETS: Record<RowId, number | undefined> = { first: 3, second: 0.5, offline: 0.5 };

export interface ScanBenchOptions {
  runs: number;
  keep: boolean;
}

interface RowResult {
  id: RowId;
  /** In-process seconds, one per run. */
  library: number[];
  /** In-process CPU seconds (user + system), one per run: less moved by other work on the machine. */
  libraryCpu: number[];
  /** End-to-end CLI samples, one per run. */
  cli: Sample[];
  findings: number;
}

/** Run the benchmark; the exit code (1 when a scan failed or a target was missed). */
export async function scanBench(options: ScanBenchOptions): Promise<number> {
  const work = await mkdtemp(join(tmpdir(), "cudaseal-scan-bench-"));
  const loadAtStart = loadavg();
  const note = (text: string) => process.stderr.write(`${text}\n`);
  try {
    note(`work dir ${work}; generating the synthetic tracker document`);
    const json = Buffer.from(syntheticTracker());
    const etag = `"${createHash("sha256").update(json).digest("hex").slice(0, 16)}"`;
    const server = createServer((req, res) => {
      if (req.headers["if-none-match"] === etag) {
        res.writeHead(304, { etag });
        res.end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json", "content-length": json.length, etag });
      res.end(json);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tracker/data/json`;
    const packages = syntheticPackages(2000);
    const image = join(work, "image");
    await writeImage(work, image, packages);
    note(`tracker ${(json.length / 1e6).toFixed(1)} MB at ${url}; image with ${packages.length} packages`);

    const rows: RowResult[] = ROWS.map((id) => ({ id, library: [], libraryCpu: [], cli: [], findings: 0 }));
    const row = (id: RowId) => rows.find((r) => r.id === id) as RowResult;
    let failed = false;
    for (let i = 0; i < options.runs; i++) {
      // In this process: a fresh cache, then the three scans in order.
      const libCache = join(work, `lib-cache-${i}`);
      for (const id of ROWS) {
        const started = performance.now();
        const cpu = process.cpuUsage();
        const db = await openVulnerabilityDatabase(
          { feed: { cacheDir: libCache, url, offline: id === "offline" } },
          RELEASE,
        );
        const findings = matchFindings(packages, db.advisories, RELEASE);
        const seconds = (performance.now() - started) / 1000;
        const used = process.cpuUsage(cpu);
        row(id).library.push(seconds);
        row(id).libraryCpu.push((used.user + used.system) / 1e6);
        row(id).findings = findings.length;
        note(
          `[lib ${id} ${i + 1}/${options.runs}] ${seconds.toFixed(3)} s wall, ${((used.user + used.system) / 1e6).toFixed(3)} s CPU, ${findings.length} findings`,
        );
      }
      // End to end: the CLI, a fresh process each time, the same three scans.
      const cliCache = join(work, `cli-cache-${i}`);
      for (const id of ROWS) {
        const logs = join(work, `cli-${id}-${i}`);
        const command = [
          q(process.execPath),
          q(CLI),
          "scan",
          q(`oci:${image}`),
          "--release",
          RELEASE,
          "--db-url",
          q(url),
          "--cache-dir",
          q(cliCache),
          "--json",
          ...(id === "offline" ? ["--offline"] : []),
        ].join(" ");
        const sample = await timeShell(command, {
          shell: "sh",
          stdoutFile: `${logs}.out`,
          stderrFile: `${logs}.err`,
          timeFile: `${logs}.time`,
        });
        row(id).cli.push(sample);
        if (sample.exitCode !== 0) {
          failed = true;
          note(`  cli ${id} failed: ${(await readFile(`${logs}.err`, "utf8")).trim()}`);
        }
        note(
          `[cli ${id} ${i + 1}/${options.runs}] ${sample.wallS.toFixed(2)} s wall, ${(sample.peakRssKiB / 1024).toFixed(0)} MiB peak`,
        );
      }
    }
    server.close();

    const lines = [
      `load average ${loadAtStart.map((l) => l.toFixed(1)).join(" ")} at the start, ${loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")} at the end`,
      `cudaseal scan bench: ${(json.length / 1e6).toFixed(1)} MB tracker JSON, ${packages.length} packages, ${options.runs} run(s), medians; ${availableParallelism()} cores`,
      "",
      "| scan    | in process: wall s | CPU s | target | `cudaseal scan`: wall s | CPU s | peak RSS MiB | findings |",
      "| ------- | -----------------: | ----: | ------ | ----------------------: | ----: | -----------: | -------: |",
    ];
    let missed = false;
    for (const r of rows) {
      const lib = median(r.library);
      const target = TARGETS[r.id];
      const pass = target === undefined || lib < target;
      if (!pass) missed = true;
      lines.push(
        `| ${r.id.padEnd(7)} | ${lib.toFixed(3)} | ${median(r.libraryCpu).toFixed(3)} | ${target === undefined ? "–" : `< ${target} ${pass ? "pass" : "FAIL"}`} | ` +
          `${median(r.cli.map((s) => s.wallS)).toFixed(2)} | ${median(r.cli.map((s) => s.cpuS)).toFixed(2)} | ` +
          `${(median(r.cli.map((s) => s.peakRssKiB)) / 1024).toFixed(0)} | ${r.findings} |`,
      );
    }
    process.stdout.write(`${lines.join("\n")}\n`);
    const resultsDir = join(ROOT, "bench", "results");
    await mkdir(resultsDir, { recursive: true });
    const path = join(resultsDir, `${new Date().toISOString().slice(0, 19).replaceAll(":", "-")}Z-scan.json`);
    await writeFile(
      path,
      `${JSON.stringify(
        {
          trackerBytes: json.length,
          packages: packages.length,
          runs: options.runs,
          host: {
            cores: availableParallelism(),
            cpu: cpus()[0]?.model,
            node: process.version,
            loadavg: loadavg(),
          },
          rows,
        },
        null,
        2,
      )}\n`,
    );
    note(`wrote ${path}`);
    return failed || missed ? 1 : 0;
  } finally {
    if (options.keep) note(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
}

/** An OCI layout with a Debian 12 os-release and a dpkg status file of `packages`. */
async function writeImage(work: string, dir: string, packages: readonly InstalledPackage[]): Promise<void> {
  const status = packages
    .map(
      (p) =>
        `Package: ${p.name}\nStatus: install ok installed\nArchitecture: ${p.arch}\n` +
        `${p.source ? `Source: ${p.source}\n` : ""}Version: ${p.version}\nDescription: synthetic\n`,
    )
    .join("\n");
  const layer = makeLayer(work, "root", {
    "etc/os-release": 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n',
    "var/lib/dpkg/status": status,
  });
  await writeOciLayout(dir, { platforms: [platformImage("amd64", [layer])], tag: "bench" });
}

function q(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The command line: `[--runs N] [--keep]`; the exit code. */
export async function scanBenchMain(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { runs: { type: "string", default: "1" }, keep: { type: "boolean", default: false } },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    process.stderr.write("bench/scan.ts: --runs takes a positive whole number\n");
    return 2;
  }
  return scanBench({ runs, keep: values.keep });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await scanBenchMain(process.argv.slice(2));
}
