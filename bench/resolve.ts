// The resolve benchmark: an unlocked build of a preset (cuda-base) beside
// apt's own resolver, `apt-get install -s` of the same top-level packages in
// an apt root for the same suite and mirror, all in one run:
//
//   npm run bench -- --resolve [--runs N] [--cache-dir DIR] [--only a,b,…]
//                              [--preset NAME] [--cold-baseline S] [--cold-baseline-cpu S]
//                              [--before-tree DIR] [--keep]
//   node bench/resolve.ts [same flags]
//
//   a  apt-get install -s PKGS        apt root with warm lists and pkgcache.bin
//   b  cudaseal build --arch amd64    no lock, every layer cached
//   c  cudaseal build                 the same, the preset's two arches
//   d  cudaseal build --lock L --arch amd64   for reference
//   g  cudaseal build --offline --arch amd64  for reference: b without the
//      conditional requests for InRelease (while its Valid-Until holds)
//   e  cudaseal resolve PKGS --arch amd64, cold: a fresh cache folder whose
//      content store (sha256/) is hardlinked from the warm cache, so every
//      Packages index is already downloaded but nothing parsed or derived
//      from one is there: InRelease fetched and checked, indexes
//      decompressed and parsed, the set resolved
//   f  row e run from the checkout --before-tree names, only with that flag:
//      the cold target is then judged against it, in the same run
//
// Setup (untimed): the apt root (bench/resolve-apt-root.ts), `apt-get update`
// and one `apt-get install -s` so apt's binary cache is built; a lock; one
// build of each of b, c, d and g so every layer is cached. Targets: b ≤ 1.0× a,
// c ≤ 1.5× b, peak RSS of b, c, e ≤ 256 MiB, e no slower (wall and CPU) than
// the recorded before (bench/resolve-report.ts). Table and targets to stdout, progress to
// stderr, every figure to bench/results/<date>-resolve.json.

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { chmod, link, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DEFAULT_ARCHES, defaultSources } from "../src/apt/sources.ts";
import { readSystemMirrors } from "../src/apt/system-sources.ts";
import { defaultCacheDir } from "../src/cache/dirs.ts";
import { parseLock } from "../src/resolve/lock.ts";
import { loadSpec } from "../src/spec/load.ts";
import { GNU_TIME, runInterleaved } from "./measure.ts";
import { formatTable, formatTargets, medians, type Row } from "./report.ts";
import { makeAptRoot, simulatedInstalls } from "./resolve-apt-root.ts";
import { packageSet } from "./resolve-preset.ts";
import {
  type BuildDetail,
  COLD_RESOLVE_BEFORE,
  type ColdBaseline,
  formatResolveRatios,
  resolveRatios,
  resolveTargets,
} from "./resolve-report.ts";

const ROOT = resolve(import.meta.dirname, "..");
const CLI = join(ROOT, "bin", "cudaseal.js");
const DEBIAN_KEYRING = join(ROOT, "keys", "debian-archive-keyring.pgp");
const ARCH = "amd64";
const IDS = ["a", "b", "c", "d", "e", "f", "g"] as const;

export interface ResolveBenchOptions {
  runs: number;
  cacheDir: string;
  only: string[];
  preset: string;
  /** Row e's recorded before; a figure of 0 is not judged. */
  coldBefore: ColdBaseline;
  /** A checkout of the tree before (its own node_modules): adds row f, row e's command run from it. */
  beforeTree?: string;
  keep: boolean;
}

interface RowConfig {
  id: string;
  label: string;
  command: (i: number) => string;
  before?: (i: number) => Promise<void>;
  collect: (i: number, stdout: string) => Promise<unknown>;
}

const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
const note = (text: string) => process.stderr.write(`${text}\n`);

/** Run the benchmark; the exit code (1 when a row failed; a missed target is reported, not an error). */
async function resolveBench(options: ResolveBenchOptions): Promise<number> {
  const { runs, cacheDir, only } = options;
  const cores = availableParallelism();
  const loadAtStart = loadavg();
  const startedAt = new Date();
  if (loadAtStart[0] > cores) {
    note(`note: load average ${loadAtStart[0].toFixed(1)} on ${cores} cores: figures will be noisy`);
  }
  const { spec } = loadSpec(`preset:${options.preset}`);
  const set = packageSet(spec);
  const archs = spec.archs ?? DEFAULT_ARCHES;
  const work = await mkdtemp(join(tmpdir(), "cudaseal-resolve-bench-"));
  // apt drops to its _apt user to download; it must be able to reach the lists.
  await chmod(work, 0o755);
  note(`work dir ${work}, cache ${cacheDir}, ${cores} cores, ${runs} run(s) of ${only.join(",")}`);
  const cudaseal = (args: string) => `${q(process.execPath)} ${q(CLI)} ${args} --cache-dir ${q(cacheDir)}`;
  try {
    // The apt root: the sources cudaseal reads by default (the machine's
    // Debian mirror), the keys cudaseal trusts, nothing installed.
    const sources = defaultSources({ system: readSystemMirrors(), suite: set.suite });
    const apt = await makeAptRoot(join(work, "apt"), {
      arch: ARCH,
      sources,
      keyring: DEBIAN_KEYRING,
      recommends: set.recommends,
    });
    const aptEnv = Object.entries(apt.env)
      .map(([k, v]) => `${k}=${q(v)}`)
      .join(" ");
    const aptInstall = `${aptEnv} apt-get install -s ${set.packages.map(q).join(" ")}`;
    note(
      `apt root ${apt.dir}: apt-get update (${sources.map((s) => `${s.uri} ${s.suites.join(",")}`).join("; ")})`,
    );
    setup(`${aptEnv} apt-get update`, join(work, "apt-update.log"));
    // apt builds pkgcache.bin on its first run after an update if the update
    // did not: this run makes apt as warm as cudaseal's cached layers.
    const simulated = setup(aptInstall, join(work, "apt-warm.log"));
    const aptInstalls = simulatedInstalls(simulated);
    const pkgcache = await stat(apt.pkgcache).catch(() => undefined);
    if (!pkgcache) throw new Error(`apt built no ${apt.pkgcache}: row a would not be warm`);
    note(
      `apt: ${aptInstalls.length} packages to install; pkgcache.bin ${(pkgcache.size / 1e6).toFixed(1)} MB`,
    );

    const lockPath = join(work, "lock.json");
    note(`locking ${options.preset} ${ARCH} into ${lockPath}`);
    setup(
      cudaseal(`lock --preset ${options.preset} --arch ${ARCH} -o ${q(lockPath)}`),
      join(work, "lock.log"),
    );
    const locked = parseLock(await readFile(lockPath, "utf8")).arches[ARCH]?.map((p) => p.name) ?? [];
    const aptOnly = aptInstalls.filter((n) => !locked.includes(n));
    const lockOnly = locked.filter((n) => !aptInstalls.includes(n));
    note(
      `cudaseal locks ${locked.length} packages; apt alone installs ${aptOnly.join(", ") || "nothing more"}` +
        (lockOnly.length > 0 ? `; cudaseal alone ${lockOnly.join(", ")}` : ""),
    );

    // Each build's own folder: the SBOMs a build writes beside its layout go there too.
    const out = (id: string, i: number) => join(work, `out-${id}-${i}`);
    const build = (id: string, extra: string) => (i: number) =>
      cudaseal(`build --preset ${options.preset} ${extra} -o ${q(`oci:${out(id, i)}/image:bench`)} --json`);
    const collectBuild = (id: string) => async (i: number, stdout: string) => {
      await rm(out(id, i), { recursive: true, force: true });
      return buildDetail(stdout);
    };
    // Rows e and f: a fresh cache of hardlinks per run (hardlinkStore), the CLI of this tree or the before tree.
    const coldRow = (id: string, cli: string, label: string): RowConfig => {
      const cold = (i: number) => join(work, `cold-${id}-${i}`);
      return {
        id,
        label,
        before: (i) => hardlinkStore(cacheDir, cold(i)),
        command: (i) =>
          `${q(process.execPath)} ${q(cli)} resolve ${set.packages.map(q).join(" ")} ` +
          `${set.provided.map((p) => `--provided ${q(p)}`).join(" ")} ` +
          `${set.recommends ? "--recommends " : ""}--arch ${ARCH} --cache-dir ${q(cold(i))} -o ${q(`${cold(i)}.lock.json`)}`,
        collect: async (i) => {
          const lock = parseLock(await readFile(`${cold(i)}.lock.json`, "utf8"));
          await rm(cold(i), { recursive: true, force: true });
          await rm(`${cold(i)}.lock.json`, { force: true });
          return { packages: lock.arches[ARCH]?.length };
        },
      };
    };
    const all: RowConfig[] = [
      {
        id: "a",
        label: "apt-get install -s (lists and pkgcache.bin warm)",
        command: () => aptInstall,
        collect: async (_i, stdout) => ({ installs: simulatedInstalls(stdout).length }),
      },
      {
        id: "b",
        label: `cudaseal build, no lock, ${ARCH} (layers cached)`,
        command: build("b", `--arch ${ARCH}`),
        collect: collectBuild("b"),
      },
      {
        id: "c",
        label: `cudaseal build, no lock, ${archs.join("+")} (layers cached)`,
        command: build("c", ""),
        collect: collectBuild("c"),
      },
      {
        id: "d",
        label: `cudaseal build --lock, ${ARCH} (reference)`,
        command: build("d", `--arch ${ARCH} --lock ${q(lockPath)}`),
        collect: collectBuild("d"),
      },
      coldRow("e", CLI, `cudaseal resolve, cold (indexes in the store, none parsed), ${ARCH}`),
      ...(options.beforeTree
        ? [
            coldRow(
              "f",
              join(options.beforeTree, "bin", "cudaseal.js"),
              `row e from ${options.beforeTree} (before)`,
            ),
          ]
        : []),
      {
        id: "g",
        label: `cudaseal build --offline, no lock, ${ARCH} (reference)`,
        command: build("g", `--arch ${ARCH} --offline`),
        collect: collectBuild("g"),
      },
    ];
    const configs = all.filter((c) => only.includes(c.id));

    // One untimed build of each cudaseal build row, so every layer (and
    // every .deb) of both arches is cached before timing.
    for (const config of configs.filter((c) => ["b", "c", "d", "g"].includes(c.id))) {
      note(`warming row ${config.id}: one untimed build`);
      setup(config.command(-1), join(work, `warm-${config.id}.log`));
      await rm(out(config.id, -1), { recursive: true, force: true });
    }

    // The runs, interleaved (a b c d e a b c d e …) so that drift in the
    // machine's speed, and in the mirror's answers, touches every row alike.
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
      row.samples.push(sample);
      row.outputBytes.push(null);
      if (failure !== undefined) {
        row.error = `exit ${sample.exitCode}: ${failure}`;
        row.details.push(null);
        return;
      }
      const detail = await config.collect(i, stdout);
      row.details.push(detail ?? null);
      checkWarm(config.id, detail as BuildDetail | null);
    });

    const list = resolveTargets(rows, options.coldBefore);
    process.stdout.write(
      [
        `cudaseal resolve bench: preset ${options.preset} (${set.packages.length} top-level packages; ` +
          `apt installs ${aptInstalls.length}, cudaseal locks ${locked.length}), ${runs} run(s), medians; ${cores} cores`,
        "",
        formatTable(rows),
        "",
        formatResolveRatios(rows),
        "",
        formatTargets(list),
        "",
      ].join("\n"),
    );

    const results = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      preset: options.preset,
      packages: set.packages,
      provided: set.provided,
      sources: sources.map((s) => ({ uri: s.uri, suites: s.suites, components: s.components })),
      aptInstalls,
      locked,
      runs,
      coldBefore: options.coldBefore,
      beforeTree: options.beforeTree ?? null,
      host: {
        cores,
        cpu: cpus()[0]?.model,
        memoryBytes: totalmem(),
        kernel: release(),
        node: process.version,
        apt: version("apt-get", "--version"),
        loadavgAtStart: loadAtStart,
        loadavgAtEnd: loadavg(),
      },
      rows: rows.map((row) => ({ ...row, medians: medians(row) ?? null })),
      ratios: resolveRatios(rows),
      targets: list,
    };
    const resultsDir = join(ROOT, "bench", "results");
    await mkdir(resultsDir, { recursive: true });
    const path = join(
      resultsDir,
      `${startedAt.toISOString().slice(0, 19).replaceAll(":", "-")}Z-resolve.json`,
    );
    await writeFile(path, `${JSON.stringify(results, null, 2)}\n`);
    note(`wrote ${path}`);
    return rows.some((r) => r.error) ? 1 : 0;
  } finally {
    if (options.keep) note(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
}

/**
 * A fresh cache folder for row e holding only the content store, each file
 * hardlinked from the warm one: the downloaded indexes (and .debs) are there,
 * anything parsed or derived from them, in whatever folder, is not.
 */
async function hardlinkStore(cacheDir: string, dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  const from = join(cacheDir, "sha256");
  for (const sub of readdirSync(from, { withFileTypes: true })) {
    if (!sub.isDirectory()) continue;
    await mkdir(join(dir, "sha256", sub.name), { recursive: true });
    for (const file of await readdir(join(from, sub.name), { withFileTypes: true })) {
      if (!file.isFile()) continue;
      try {
        await link(join(from, sub.name, file.name), join(dir, "sha256", sub.name, file.name));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EXDEV") {
          throw new Error(
            `row e hardlinks the cache's sha256/ into ${dir}: the cache and TMPDIR must be on one file system (set TMPDIR)`,
          );
        }
        throw err;
      }
    }
  }
}

/** Run an untimed setup command with its output in `log`; stdout back, or an error naming the log. */
function setup(command: string, log: string): string {
  const result = spawnSync("sh", ["-c", command], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  writeFileSync(log, `$ ${command}\n${result.stdout ?? ""}\n${result.stderr ?? ""}`);
  if (result.status !== 0) {
    const tail = (result.stderr ?? "").trim().split("\n").slice(-10).join("\n");
    throw new Error(`setup failed (exit ${result.status}): ${command}\n${tail}`);
  }
  return result.stdout;
}

/** What a cudaseal build's `--json` summary says about its run. */
function buildDetail(stdout: string): BuildDetail | null {
  try {
    const summary = JSON.parse(stdout);
    const platforms: { layers?: { cached: boolean }[] }[] = summary.platforms ?? [];
    const layers = platforms.flatMap((p) => p.layers ?? []);
    return {
      seconds: summary.seconds,
      resolveMs: summary.stages?.find((s: { stage: string }) => s.stage === "resolve")?.ms,
      platforms: platforms.length,
      layers: layers.length,
      cachedLayers: layers.filter((l) => l.cached).length,
    };
  } catch {
    return null;
  }
}

/** A build row means nothing if it rebuilt layers: say so. */
function checkWarm(id: string, detail: BuildDetail | null): void {
  if (detail?.layers !== undefined && detail.cachedLayers !== detail.layers) {
    note(`  note: row ${id} reused ${detail.cachedLayers} of ${detail.layers} layers (expected all)`);
  }
}

function version(tool: string, flag: string): string {
  try {
    return execFileSync(tool, [flag], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
      .split("\n")[0]
      .trim();
  } catch {
    return "unknown";
  }
}

function haveTool(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${q(name)}`], { stdio: "ignore" }).status === 0;
}

/** The command line (the flags in the header); the exit code. */
export async function resolveBenchMain(args: string[]): Promise<number> {
  const usage = (message: string) => {
    note(`bench --resolve: ${message}`);
    return 2;
  };
  const parse = () =>
    parseArgs({
      args,
      options: {
        runs: { type: "string", default: "1" },
        "cache-dir": { type: "string" },
        only: { type: "string" },
        preset: { type: "string", default: "cuda-base" },
        "cold-baseline": { type: "string" },
        "cold-baseline-cpu": { type: "string" },
        "before-tree": { type: "string" },
        keep: { type: "boolean", default: false },
      },
    });
  let values: ReturnType<typeof parse>["values"];
  try {
    values = parse().values;
  } catch (err) {
    return usage((err as Error).message);
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) return usage("--runs takes a positive whole number");
  const beforeTree = values["before-tree"] === undefined ? undefined : resolve(values["before-tree"]);
  if (beforeTree && !existsSync(join(beforeTree, "bin", "cudaseal.js"))) {
    return usage(`--before-tree: no bin/cudaseal.js in ${beforeTree}`);
  }
  const only = values.only
    ? values.only.split(",").map((s) => s.trim())
    : IDS.filter((id) => id !== "f" || beforeTree !== undefined);
  if (only.includes("f") && !beforeTree) return usage("row f needs --before-tree DIR");
  const unknown = only.find((id) => !(IDS as readonly string[]).includes(id));
  if (unknown) return usage(`--only: no row ${unknown} (rows: ${IDS.join(",")})`);
  const seconds = (flag: string | undefined, recorded: number) =>
    flag === undefined ? recorded : Number(flag);
  const coldBefore = {
    wallS: seconds(values["cold-baseline"], COLD_RESOLVE_BEFORE.wallS),
    cpuS: seconds(values["cold-baseline-cpu"], COLD_RESOLVE_BEFORE.cpuS),
  };
  if (!(coldBefore.wallS >= 0 && coldBefore.cpuS >= 0)) return usage("--cold-baseline(-cpu) takes seconds");
  for (const tool of [GNU_TIME, "apt-get"])
    if (!haveTool(tool)) return usage(`${tool} is needed and not found`);
  try {
    return await resolveBench({
      runs,
      cacheDir: resolve(values["cache-dir"] ?? defaultCacheDir()),
      only,
      preset: values.preset ?? "cuda-base",
      coldBefore,
      beforeTree,
      keep: values.keep ?? false,
    });
  } catch (err) {
    note(`bench --resolve: ${(err as Error).message}`);
    return 1;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await resolveBenchMain(process.argv.slice(2));
}
