// cudaseal against the peer pipeline and the floor, side by side in one run,
// on the cuda-runtime preset for amd64 with the .deb cache warm:
//
//   a  cudaseal cold         build --lock L --no-layer-cache (gzip, default level)
//   b  peer                  mmdebstrap --variant=extract … | pigz -1 -p CORES
//   c  floor                 every data.tar decompressed in parallel | pigz -1 -p CORES
//   d  cudaseal warm         a spec over the preset whose contents change each run
//   e  cudaseal cold, zstd   --compression zstd (default level)
//   f  cudaseal cold, gzip 6 --level 6 (to pick the default level from data)
//
//   npm run bench -- [--runs N] [--cache-dir DIR] [--lock FILE] [--only a,b,…] [--keep]
//   npm run bench -- --push [--runs N] [--image oci:DIR:TAG]   (bench/push.ts)
//   npm run bench -- --scan [--runs N] [--keep]                (bench/scan.ts)
//   npm run bench -- --audit [--runs N] [--size-gb G] [--keep] (bench/audit.ts)
//   npm run bench -- --wheels [--runs N] [--keep]              (bench/wheels.ts)
//   npm run bench -- --rescan [--images N] [--runs N] [--keep] (bench/rescan.ts)
//   npm run bench -- --resolve [--runs N] [--only a,b,…] [--keep] (bench/resolve.ts)
//
// Every row is one shell command timed by GNU time(1); bench/README.md says
// what each figure means. The table and ratios go to stdout, progress to
// stderr, and everything measured to bench/results/<date>.json.

import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ContentStore } from "../src/cache/content-store.ts";
import { defaultCacheDir } from "../src/cache/dirs.ts";
import { DEFAULT_COMPRESSION } from "../src/layer/blob-writer.ts";
import { parseLock } from "../src/resolve/lock.ts";
import { makeFlatRepo } from "./flat-repo.ts";
import { GNU_TIME, runInterleaved } from "./measure.ts";
import { formatRatios, formatTable, formatTargets, medians, type Row, ratios, targets } from "./report.ts";

const PRESET = "cuda-runtime";
const ARCH = "amd64";
const ROOT = resolve(import.meta.dirname, "..");
const CLI = join(ROOT, "bin", "cudaseal.js");
const IDS = ["a", "b", "c", "d", "e", "f"] as const;
const CUDASEAL_ROWS = ["a", "d", "e", "f"];

interface Config {
  id: string;
  label: string;
  shell: "sh" | "bash";
  /** The command for run `i` (0-based). */
  command: (i: number) => string;
  /** Called before run `i` is timed. */
  before?: (i: number) => Promise<void>;
  /** Bytes the run wrote, or null; then remove what it wrote. */
  collect: (i: number, stdout: string) => Promise<{ bytes: number | null; detail?: unknown }>;
}

// `--push` runs the registry push benchmark instead (bench/push.ts, its own flags).
if (process.argv.includes("--push")) {
  await import("./push.ts");
  process.exit(process.exitCode ?? 0);
}

// `--scan` runs the vulnerability scan benchmark instead (bench/scan.ts, its own flags).
if (process.argv.includes("--scan")) {
  const { scanBenchMain } = await import("./scan.ts");
  process.exit(await scanBenchMain(process.argv.slice(2).filter((a) => a !== "--scan")));
}

// `--rescan` runs the fleet rescan benchmark instead (bench/rescan.ts, its own flags).
if (process.argv.includes("--rescan")) {
  const { rescanBenchMain } = await import("./rescan.ts");
  process.exit(await rescanBenchMain(process.argv.slice(2).filter((a) => a !== "--rescan")));
}

// `--wheels` runs the wheel-install benchmark instead (bench/wheels.ts, its own flags).
if (process.argv.includes("--wheels")) {
  const { wheelsBenchMain } = await import("./wheels.ts");
  process.exit(await wheelsBenchMain(process.argv.slice(2).filter((a) => a !== "--wheels")));
}

// `--resolve` runs the unlocked-build benchmark beside apt-get install -s instead (bench/resolve.ts, its own flags).
if (process.argv.includes("--resolve")) {
  const { resolveBenchMain } = await import("./resolve.ts");
  process.exit(await resolveBenchMain(process.argv.slice(2).filter((a) => a !== "--resolve")));
}

// `--audit` runs the image audit throughput benchmark instead (bench/audit.ts, its own flags).
if (process.argv.includes("--audit")) {
  const { auditBenchMain } = await import("./audit.ts");
  process.exit(await auditBenchMain(process.argv.slice(2).filter((a) => a !== "--audit")));
}

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "1" },
    "cache-dir": { type: "string" },
    lock: { type: "string" },
    only: { type: "string" },
    keep: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  process.stdout.write(
    readFileSync(new URL(import.meta.url), "utf8")
      .split("\n\n")[0]
      .replace(/^\/\/ ?/gm, ""),
  );
  process.stdout.write("\n");
  process.exit(0);
}
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) usage("--runs takes a positive whole number");
const only = values.only ? values.only.split(",").map((s) => s.trim()) : [...IDS];
for (const id of only)
  if (!(IDS as readonly string[]).includes(id)) usage(`--only: no row ${id} (rows: ${IDS})`);
const cacheDir = resolve(values["cache-dir"] ?? defaultCacheDir());
const cores = availableParallelism();
const level = DEFAULT_COMPRESSION.level;
const cudaseal = (args: string) => `${q(process.execPath)} ${q(CLI)} ${args}`;

for (const tool of [GNU_TIME, "pigz", "dpkg-deb", "dpkg-scanpackages", "bash"]) {
  if (!haveTool(tool)) usage(`${tool} is needed and not found`);
}
const mmdebstrap = haveTool("mmdebstrap");

const startedAt = new Date();
const loadAtStart = loadavg();
if (loadAtStart[0] > cores) {
  note(
    `note: load average ${loadAtStart[0].toFixed(1)} on ${cores} cores: other work is running, figures will be noisy`,
  );
}
const work = await mkdtemp(join(tmpdir(), "cudaseal-bench-"));
note(`work dir ${work}, cache ${cacheDir}, ${cores} cores, ${runs} run(s) of ${only.join(",")}`);

try {
  // Setup: the lock, a warm .deb cache, the flat repository, the warm spec.
  const lockPath = values.lock ? resolve(values.lock) : join(work, "lock.json");
  if (!values.lock) {
    note(`resolving ${PRESET} ${ARCH} into ${lockPath}`);
    setup(cudaseal(`lock --preset ${PRESET} --arch ${ARCH} -o ${q(lockPath)} --cache-dir ${q(cacheDir)}`));
  }
  const lockText = await readFile(lockPath, "utf8");
  const lock = parseLock(lockText);
  const packages = lock.arches[ARCH];
  if (!packages) fail(`${lockPath} has no packages for ${ARCH}`);
  const store = new ContentStore(cacheDir);
  const missing = [];
  for (const pkg of packages) {
    const info = await stat(store.path(pkg.sha256)).catch(() => undefined);
    if (info?.size !== pkg.size) missing.push(pkg.name);
  }
  if (missing.length > 0) {
    note(`warming the .deb cache (${missing.length} packages missing) with one cudaseal build`);
    setup(
      cudaseal(
        `build --preset ${PRESET} --arch ${ARCH} --lock ${q(lockPath)} ${cacheFlag()} -o ${q(`oci:${work}/warm-debs:bench`)} --quiet`,
      ),
    );
    await rm(join(work, "warm-debs"), { recursive: true, force: true });
  }

  const repoDir = join(work, "repo");
  const repo =
    only.includes("b") || only.includes("c")
      ? await makeFlatRepo(repoDir, packages, (sha) => store.path(sha), lock.request.provided ?? [])
      : undefined;

  const specDir = join(work, "warm-spec");
  const specPath = join(specDir, "spec.yaml");
  const appFile = join(specDir, "app", "version.txt");
  if (only.includes("d")) {
    await mkdir(join(specDir, "app"), { recursive: true });
    await writeFile(
      specPath,
      `include: preset:${PRESET}\ncontents:\n  - source: ./app\n    destination: /opt/app\n`,
    );
    await writeFile(appFile, "warm-up\n");
    note("warming the layer cache for the warm row with one untimed build");
    setup(
      cudaseal(
        `build ${q(specPath)} --arch ${ARCH} --lock ${q(lockPath)} ${cacheFlag()} -o ${q(`oci:${work}/warm-up:bench`)} --quiet`,
      ),
    );
    await rm(join(work, "warm-up"), { recursive: true, force: true });
  }

  const out = (id: string, i: number) => join(work, `out-${id}-${i}`);
  const build = (id: string, extra: string) => (i: number) =>
    cudaseal(
      `build --preset ${PRESET} --arch ${ARCH} --lock ${q(lockPath)} ${cacheFlag()} -o ${q(`oci:${out(id, i)}:bench`)} --json ${extra}`,
    );
  const collectImage = (id: string) => async (i: number, stdout: string) => {
    const bytes = await treeBytes(out(id, i));
    await rm(out(id, i), { recursive: true, force: true });
    return { bytes, detail: buildDetail(stdout) };
  };
  const peerOut = join(work, "peer.tar.gz");
  const names = [...packages.map((p) => p.name), ...(repo?.stub ? [repo.stub] : [])].join(",");
  const suite = lock.sources[0]?.suite ?? "trixie";

  const all: Config[] = [
    {
      id: "a",
      label: `cudaseal cold (gzip -${level}, --no-layer-cache)`,
      shell: "sh",
      command: build("a", "--no-layer-cache"),
      collect: collectImage("a"),
    },
    mmdebstrap
      ? {
          id: "b",
          label: `peer: mmdebstrap --variant=extract | pigz -${level}`,
          shell: "bash",
          command: () =>
            `set -o pipefail; mmdebstrap --variant=extract --include=${names} ${suite} - ` +
            `${q(`deb [trusted=yes] copy://${repoDir} ./`)} | pigz -${level} -p ${cores} > ${q(peerOut)}`,
          collect: () => collectFile(peerOut),
        }
      : {
          id: "b",
          label: `peer FALLBACK (no mmdebstrap): dpkg-deb -x each, tar | pigz -${level}`,
          shell: "bash",
          command: () =>
            `set -o pipefail; cd ${q(repoDir)} && rm -rf ../peer-root && mkdir ../peer-root && ` +
            `for f in *.deb; do dpkg-deb -x "$f" ../peer-root || exit 1; done && ` +
            `tar -C ../peer-root -cf - . | pigz -${level} -p ${cores} > ${q(peerOut)}`,
          collect: async () => {
            await rm(join(work, "peer-root"), { recursive: true, force: true });
            return collectFile(peerOut);
          },
        },
    {
      id: "c",
      label: `floor: dpkg-deb --fsys-tarfile ×${cores} | pigz -${level} > /dev/null`,
      shell: "bash",
      command: () =>
        `set -o pipefail; cd ${q(repoDir)} && ls *.deb | xargs -P ${cores} -n1 dpkg-deb --fsys-tarfile ` +
        `| pigz -${level} -p ${cores} > /dev/null`,
      collect: async () => ({ bytes: null }),
    },
    {
      id: "d",
      label: "cudaseal warm (only contents changed)",
      shell: "sh",
      before: (i) => writeFile(appFile, `run ${i} at ${new Date().toISOString()} ${Math.random()}\n`),
      command: (i) =>
        cudaseal(
          `build ${q(specPath)} --arch ${ARCH} --lock ${q(lockPath)} ${cacheFlag()} -o ${q(`oci:${out("d", i)}:bench`)} --json`,
        ),
      collect: collectImage("d"),
    },
    {
      id: "e",
      label: "cudaseal cold, zstd (default level)",
      shell: "sh",
      command: build("e", "--no-layer-cache --compression zstd"),
      collect: collectImage("e"),
    },
    {
      id: "f",
      label: "cudaseal cold, gzip -6",
      shell: "sh",
      command: build("f", "--no-layer-cache --level 6"),
      collect: collectImage("f"),
    },
  ];
  const configs = all.filter((c) => only.includes(c.id));

  // The runs, interleaved (a b c … a b c …) so that drift in the machine's
  // speed touches every row alike.
  const rows: Row[] = configs.map((c) => ({
    id: c.id,
    label: c.label,
    command: c.command(0),
    samples: [],
    outputBytes: [],
    details: [],
  }));
  const rowOf = new Map(configs.map((c, k) => [c, rows[k]]));
  await runInterleaved(configs, runs, work, note, async (config, i, { sample, stdout, failure }) => {
    const row = rowOf.get(config)!;
    const { bytes, detail } = await config.collect(i, stdout);
    row.samples.push(sample);
    row.outputBytes.push(bytes);
    row.details.push(detail ?? null);
    if (failure !== undefined) row.error = `exit ${sample.exitCode}: ${failure}`;
    checkWarm(config.id, detail);
  });

  const list = targets(rows, CUDASEAL_ROWS);
  const text = [
    `cudaseal bench: ${PRESET} ${ARCH}, ${packages.length} packages, ${runs} run(s), medians; ${cores} cores`,
    "",
    formatTable(rows),
    "",
    formatRatios(rows),
    "",
    formatTargets(list),
    "",
  ].join("\n");
  process.stdout.write(text);

  const results = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    preset: PRESET,
    arch: ARCH,
    runs,
    gzipLevel: level,
    host: {
      cores,
      cpu: cpus()[0]?.model,
      memoryBytes: totalmem(),
      kernel: release(),
      node: process.version,
      loadavgAtStart: loadAtStart,
      loadavgAtEnd: loadavg(),
    },
    tools: {
      mmdebstrap: mmdebstrap ? version("mmdebstrap", "--version") : null,
      pigz: version("pigz", "--version"),
      dpkgDeb: version("dpkg-deb", "--version"),
    },
    lock: {
      path: lockPath,
      sha256: createHash("sha256").update(lockText).digest("hex"),
      packages: packages.length,
      debBytes: packages.reduce((n, p) => n + p.size, 0),
      provided: lock.request.provided ?? [],
    },
    rows: rows.map((row) => ({ ...row, medians: medians(row) ?? null })),
    ratios: ratios(rows),
    targets: list,
  };
  const resultsDir = join(ROOT, "bench", "results");
  await mkdir(resultsDir, { recursive: true });
  const resultsPath = join(resultsDir, `${startedAt.toISOString().slice(0, 19).replaceAll(":", "-")}Z.json`);
  await writeFile(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
  note(`wrote ${resultsPath}`);
  if (rows.some((r) => r.error)) process.exitCode = 1;
} catch (err) {
  note(`bench: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  if (values.keep) note(`kept ${work}`);
  else await rm(work, { recursive: true, force: true });
}

/** `s` quoted for sh. */
function q(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Progress and notes: stderr, so the table on stdout stays clean. */
function note(text: string): void {
  process.stderr.write(`${text}\n`);
}

function cacheFlag(): string {
  return `--cache-dir ${q(cacheDir)}`;
}

/** Run an untimed setup command; stop the benchmark if it fails. */
function setup(command: string): void {
  const result = spawnSync("sh", ["-c", command], { stdio: ["ignore", "ignore", "inherit"] });
  if (result.status !== 0) fail(`setup failed: ${command}`);
}

/** What a cudaseal `--json` summary says about its run. */
function buildDetail(stdout: string): unknown {
  try {
    const summary = JSON.parse(stdout);
    const platform = summary.platforms?.[0];
    return {
      digest: summary.digest,
      seconds: summary.seconds,
      stages: summary.stages,
      compressedBytes: platform?.compressedBytes,
      uncompressedBytes: platform?.uncompressedBytes,
      layers: platform?.layers?.length,
      cachedLayers: platform?.layers?.filter((l: { cached: boolean }) => l.cached).length,
    };
  } catch {
    return null;
  }
}

/** The warm row means nothing if its package layers were rebuilt: say so. */
function checkWarm(id: string, detail: unknown): void {
  const d = detail as { layers?: number; cachedLayers?: number } | null | undefined;
  if (id === "d" && d?.layers !== undefined && d.cachedLayers !== d.layers - 1) {
    note(
      `  note: warm run reused ${d.cachedLayers} of ${d.layers} layers (expected all but the contents layer)`,
    );
  }
}

async function collectFile(path: string): Promise<{ bytes: number | null }> {
  const info = await stat(path).catch(() => undefined);
  await rm(path, { force: true });
  return { bytes: info?.size ?? null };
}

/** Total size of the files under `dir` (an OCI layout: blobs, index, oci-layout). */
async function treeBytes(dir: string): Promise<number | null> {
  if (!existsSync(dir)) return null;
  let total = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

function haveTool(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${q(name)}`], { stdio: "ignore" }).status === 0;
}

function version(tool: string, flag: string): string {
  try {
    const text = execFileSync(tool, [flag], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return text.split("\n")[0].trim();
  } catch {
    return "unknown";
  }
}

/** A mistake in how the bench was called: nothing has been made yet. */
function usage(message: string): never {
  note(`bench: ${message}`);
  process.exit(2);
}

/** A setup step failed: stop, and let the work dir be removed. */
function fail(message: string): never {
  throw new Error(message);
}
