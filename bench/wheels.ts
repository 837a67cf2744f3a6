// The wheel-install benchmark: a synthetic 1 GiB set of wheels (one of
// 600 MiB of machine-code-like libraries, the rest small pure-Python wheels
// of source-like text; bench/wheel-set.py, cached in the temp dir) installed
// by cudaseal into compressed layers, beside pip in the same run:
//
//   npm run bench -- --wheels [--runs N] [--keep] [--big-mib 600] [--small 212]
//   node bench/wheels.ts [same flags]
//
// Rows, each one command under GNU time(1) (wall, CPU, peak RSS):
//   pip           python3 -m pip install --no-index --no-deps --target DIR W…
//                 (pip's defaults: it also byte-compiles every .py)
//   pip-nocompile the same with --no-compile: pip doing what cudaseal does
//   cudaseal      bench/wheel-install.ts: every wheel inspected and checked
//                 for conflicts, RECORD checked while streaming, the big
//                 wheel a layer of its own and the small ones one layer,
//                 written concurrently and gzip-compressed at the build's
//                 default level, as a build writes them
//   cudaseal-copy the same through writeWheelLayerBlob: each large deflated
//                 member's stream copied into the gzip blob, not recompressed
// Targets: cudaseal ≤ 0.5× pip's wall time; cudaseal's peak RSS ≤ 256 MiB
// (either cudaseal row meeting both passes; both are reported).
// pip runs Debian's python3 (/usr/bin/python3); the wheels are read once
// before timing so every row starts with them in the page cache.

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { median, type Sample, timeShell } from "./measure.ts";

const ROOT = resolve(import.meta.dirname, "..");
const PYTHON = process.env.CUDASEAL_TEST_PYTHON ?? "/usr/bin/python3";
const TARGET_RATIO = 0.5;
const TARGET_RSS_MIB = 256;

interface RowDef {
  id: string;
  command: (out: string, wheels: string) => string;
}

const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

const ROWS: RowDef[] = [
  {
    id: "pip",
    command: (out, wheels) =>
      `${q(PYTHON)} -m pip install -q --no-index --no-deps --target ${q(out)} ${wheels}`,
  },
  {
    id: "pip-nocompile",
    command: (out, wheels) =>
      `${q(PYTHON)} -m pip install -q --no-index --no-deps --no-compile --target ${q(out)} ${wheels}`,
  },
  {
    id: "cudaseal",
    command: (out, wheels) =>
      `${q(process.execPath)} ${q(join(ROOT, "bench", "wheel-install.ts"))} ${q(out)} ${wheels}`,
  },
  {
    id: "cudaseal-copy",
    command: (out, wheels) =>
      `${q(process.execPath)} ${q(join(ROOT, "bench", "wheel-install.ts"))} --copy ${q(out)} ${wheels}`,
  },
];

/** The cached wheel set for these sizes, generated on first use. */
async function wheelSet(bigMib: number, small: number, smallKib: number): Promise<string[]> {
  const dir = join(tmpdir(), `cudaseal-bench-wheels-v1-${bigMib}-${small}-${smallKib}`);
  if (!existsSync(join(dir, ".complete"))) {
    await rm(dir, { recursive: true, force: true });
    process.stderr.write(`generating the wheel set in ${dir} (once; minutes)\n`);
    execFileSync(
      PYTHON,
      [join(ROOT, "bench", "wheel-set.py"), dir, String(bigMib), String(small), String(smallKib)],
      {
        stdio: ["ignore", "inherit", "inherit"],
      },
    );
    await writeFile(join(dir, ".complete"), "");
  }
  return (await readdir(dir)).filter((f) => f.endsWith(".whl")).map((f) => join(dir, f));
}

async function duBytes(path: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(path, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) total += (await stat(join(e.parentPath, e.name))).size;
  }
  return total;
}

export async function wheelsBenchMain(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      runs: { type: "string", default: "1" },
      keep: { type: "boolean", default: false },
      "big-mib": { type: "string", default: "600" },
      small: { type: "string", default: "212" },
      "small-kib": { type: "string", default: "2048" },
    },
  });
  const runs = Number(values.runs);
  const wheels = await wheelSet(Number(values["big-mib"]), Number(values.small), Number(values["small-kib"]));
  let setBytes = 0;
  for (const w of wheels) setBytes += (await stat(w)).size;
  // Into the page cache, so no row pays for the first read.
  execFileSync("sh", ["-c", `cat ${wheels.map(q).join(" ")} > /dev/null`]);
  const work = await mkdtemp(join(tmpdir(), "cudaseal-bench-wheels-"));
  const load = loadavg()[0];
  process.stderr.write(
    `work dir ${work}; ${wheels.length} wheels, ${(setBytes / 2 ** 20).toFixed(0)} MiB on disk; load ${load.toFixed(1)} on ${availableParallelism()} cores\n`,
  );
  const samples = new Map<string, Sample[]>(ROWS.map((r) => [r.id, []]));
  const outputs = new Map<string, number[]>(ROWS.map((r) => [r.id, []]));
  let installed = 0;
  try {
    for (let i = 0; i < runs; i++) {
      for (const row of ROWS) {
        const out = join(work, `${row.id}-${i}`);
        await mkdir(out, { recursive: true });
        const sample = await timeShell(row.command(out, wheels.map(q).join(" ")), {
          shell: "sh",
          stdoutFile: join(work, `${row.id}-${i}.out`),
          stderrFile: join(work, `${row.id}-${i}.err`),
          timeFile: join(work, `${row.id}-${i}.time`),
        });
        if (sample.exitCode !== 0)
          throw new Error(`${row.id} failed; see ${join(work, `${row.id}-${i}.err`)}`);
        const bytes = await duBytes(out);
        if (row.id === "pip-nocompile") installed = bytes;
        samples.get(row.id)?.push(sample);
        outputs.get(row.id)?.push(bytes);
        process.stderr.write(
          `${row.id} run ${i + 1}: ${sample.wallS}s wall, ${sample.cpuS}s cpu, ${(sample.peakRssKiB / 1024).toFixed(0)} MiB\n`,
        );
        if (!values.keep) await rm(out, { recursive: true, force: true });
      }
    }
  } finally {
    if (!values.keep) await rm(work, { recursive: true, force: true });
  }
  const med = (id: string, f: (s: Sample) => number) => median((samples.get(id) ?? []).map(f));
  const lines = [
    `wheel install bench: ${wheels.length} wheels, ${(setBytes / 2 ** 20).toFixed(0)} MiB on disk, ${(installed / 2 ** 30).toFixed(2)} GiB installed; ${runs} run(s), medians; ${availableParallelism()} cores (${cpus()[0]?.model ?? "?"}), load ${load.toFixed(1)} at start`,
    "",
    "| row | wall s | cpu s | peak RSS MiB | output MiB |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...ROWS.map(
      (r) =>
        `| ${r.id} | ${med(r.id, (s) => s.wallS).toFixed(2)} | ${med(r.id, (s) => s.cpuS).toFixed(2)} | ${(med(r.id, (s) => s.peakRssKiB) / 1024).toFixed(0)} | ${(median(outputs.get(r.id) ?? []) / 2 ** 20).toFixed(0)} |`,
    ),
    "",
  ];
  const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");
  const pip = med("pip", (s) => s.wallS);
  const pipNoCompile = med("pip-nocompile", (s) => s.wallS);
  let pass = false;
  for (const id of ["cudaseal", "cudaseal-copy"]) {
    const ours = med(id, (s) => s.wallS);
    const rss = med(id, (s) => s.peakRssKiB) / 1024;
    pass ||= ours / pip <= TARGET_RATIO && rss <= TARGET_RSS_MIB;
    lines.push(
      `${id}: ${(ours / pip).toFixed(2)}× pip's wall time (target ≤ ${TARGET_RATIO}×) ${verdict(ours / pip <= TARGET_RATIO)}; ` +
        `${(ours / pipNoCompile).toFixed(2)}× pip --no-compile's; ` +
        `${(med(id, (s) => s.cpuS) / med("pip", (s) => s.cpuS)).toFixed(2)}× pip's CPU time; ` +
        `peak RSS ${rss.toFixed(0)} MiB (target ≤ ${TARGET_RSS_MIB}) ${verdict(rss <= TARGET_RSS_MIB)}`,
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
  const results = join(ROOT, "bench", "results");
  await mkdir(results, { recursive: true });
  await writeFile(
    join(results, `${new Date().toISOString().replaceAll(":", "-")}-wheels.json`),
    `${JSON.stringify({ wheels: wheels.length, setBytes, installed, load, samples: Object.fromEntries(samples), outputs: Object.fromEntries(outputs) }, null, 2)}\n`,
  );
  return pass ? 0 : 1;
}

if (import.meta.main) {
  process.exitCode = await wheelsBenchMain(process.argv.slice(2));
}
