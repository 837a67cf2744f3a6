// The audit benchmark: throughput of `cudaseal audit` in MB/s (10^6 bytes) of
// uncompressed layer data, on a synthetic CUDA-runtime-sized image, beside
// the floor any audit must pay: decompressing every layer and listing its
// tar entries with the system's tools.
//
//   npm run bench -- --audit [--runs N] [--size-gb G] [--keep]
//   npx node bench/audit.ts [--runs N] [--size-gb G] [--keep]
//
// The image (about G×10^9 bytes of tar, default 2, in 4 gzip -6 layers, made
// untimed) looks like a CUDA runtime image to the audit: large ELF libraries
// that compress about 2:1 (never read, only streamed past), tens of thousands
// of small text files (each read and searched for secrets), a few secrets
// planted so the search provably runs, and a file deleted by a later layer.
//
// Rows, each over every layer, one after another (as the audit reads them):
//   audit      auditImage in this process (open, walk, config checks)
//   cli        `cudaseal audit oci:DIR --json > /dev/null` under time(1): adds
//              Node's start, module loading and JSON output
//   inflate    decompression alone over every layer, in this process, as the
//              audit does it (decompressSniffed): the rest of `audit` is tar
//              parsing, the checks and the digest
//   gzip|tar   `gzip -dc LAYER | tar -t > /dev/null` per layer: the peer floor
//   pigz|tar   `pigz -dc LAYER | tar -t > /dev/null` per layer
// Target: audit ≥ 150 MB/s. Results go to stdout as a table and to
// bench/results/<date>-audit.json.

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { auditImage } from "../src/audit/index.ts";
import { buildImageConfig } from "../src/oci/image-config.ts";
import type { LayerBlob } from "../src/oci/image-plan.ts";
import { writeOciLayout } from "../src/oci/layout-writer.ts";
import { OCI_LAYER_GZIP } from "../src/oci/media-types.ts";
import { decompressSniffed } from "../src/source/filesystem.ts";
import { openImage } from "../src/source/image-source.ts";
import { median, type Sample, timeShell } from "./measure.ts";

const ROOT = resolve(import.meta.dirname, "..");
const CLI = join(ROOT, "bin", "cudaseal.js");
export const AUDIT_TARGET_MBPS = 150;

export interface AuditBenchOptions {
  runs: number;
  /** Uncompressed size of the synthetic image, 10^9 bytes. */
  sizeGb: number;
  keep: boolean;
}

interface Row {
  id: "audit" | "cli" | "inflate" | "gzip|tar" | "pigz|tar";
  label: string;
  seconds: number[];
  /** CPU seconds (user + system): on a loaded machine the steadier figure. */
  cpuSeconds: number[];
  samples: Sample[];
}

/** Run the benchmark; the exit code (1 when a run failed or the target was missed). */
export async function auditBench(options: AuditBenchOptions): Promise<number> {
  const work = await mkdtemp(join(tmpdir(), "cudaseal-audit-bench-"));
  const note = (text: string) => process.stderr.write(`${text}\n`);
  try {
    note(`work dir ${work}; making a synthetic image of ${options.sizeGb} GB (untimed)`);
    const made = await makeImage(work, options.sizeGb);
    const ref = `oci:${made.dir}:bench`;
    const tarBytes = made.layers.reduce((n, l) => n + l.tarBytes, 0);
    const gzBytes = made.layers.reduce((n, l) => n + l.blob.size, 0);
    note(
      `image: ${made.layers.length} layers, ${(tarBytes / 1e6).toFixed(0)} MB of tar, ${(gzBytes / 1e6).toFixed(0)} MB gzip'd`,
    );
    // Warm the page cache so every row reads the blobs from memory.
    for (const l of made.layers) await drain(createReadStream(l.blob.path));

    const rows: Row[] = [
      { id: "audit", label: "cudaseal audit (in process)", seconds: [], cpuSeconds: [], samples: [] },
      {
        id: "cli",
        label: "cudaseal audit --json (CLI, whole process)",
        seconds: [],
        cpuSeconds: [],
        samples: [],
      },
      {
        id: "inflate",
        label: "inflate only, as audit does (node:zlib, 256 KiB chunks)",
        seconds: [],
        cpuSeconds: [],
        samples: [],
      },
      { id: "gzip|tar", label: "peer floor: gzip -dc | tar -t", seconds: [], cpuSeconds: [], samples: [] },
      { id: "pigz|tar", label: "peer floor: pigz -dc | tar -t", seconds: [], cpuSeconds: [], samples: [] },
    ];
    const row = (id: Row["id"]) => rows.find((r) => r.id === id) as Row;
    const blobs = made.layers.map((l) => q(l.blob.path)).join(" ");
    let failed = false;
    let findings = 0;
    let auditedBytes = 0;
    for (let i = 0; i < options.runs; i++) {
      let started = performance.now();
      let cpu = process.cpuUsage();
      const { report } = await auditImage(ref, { arch: "amd64" });
      row("audit").seconds.push((performance.now() - started) / 1000);
      row("audit").cpuSeconds.push(cpuSince(cpu));
      findings = report.findings.length;
      auditedBytes = Number(report.properties?.uncompressedBytes ?? 0);
      note(`[audit ${i + 1}/${options.runs}] ${last(row("audit")).toFixed(2)} s, ${findings} findings`);

      started = performance.now();
      cpu = process.cpuUsage();
      const image = await openImage(ref, { arch: "amd64" });
      let inflated = 0;
      for (const layer of image.layers) {
        for await (const chunk of decompressSniffed(layer.open(), layer.digest)) inflated += chunk.length;
      }
      row("inflate").seconds.push((performance.now() - started) / 1000);
      row("inflate").cpuSeconds.push(cpuSince(cpu));
      if (inflated !== tarBytes) throw new Error(`inflated ${inflated} bytes, expected ${tarBytes}`);
      note(`[inflate ${i + 1}/${options.runs}] ${last(row("inflate")).toFixed(2)} s`);

      for (const [id, command] of [
        ["cli", `${q(process.execPath)} ${q(CLI)} audit ${q(ref)} --arch amd64 --json > /dev/null`],
        [
          "gzip|tar",
          `set -o pipefail; for b in ${blobs}; do gzip -dc "$b" | tar -t > /dev/null || exit 1; done`,
        ],
        [
          "pigz|tar",
          `set -o pipefail; for b in ${blobs}; do pigz -dc "$b" | tar -t > /dev/null || exit 1; done`,
        ],
      ] as const) {
        const logs = join(work, `${id.replace("|", "-")}-${i}`);
        const sample = await timeShell(command, {
          shell: "bash",
          stdoutFile: `${logs}.out`,
          stderrFile: `${logs}.err`,
          timeFile: `${logs}.time`,
        });
        row(id).samples.push(sample);
        row(id).seconds.push(sample.wallS);
        row(id).cpuSeconds.push(sample.cpuS);
        if (sample.exitCode !== 0) {
          failed = true;
          note(`  ${id} failed (exit ${sample.exitCode})`);
        }
        note(
          `[${id} ${i + 1}/${options.runs}] ${sample.wallS.toFixed(2)} s wall, ${sample.cpuS.toFixed(2)} s CPU`,
        );
      }
    }
    if (auditedBytes !== tarBytes) throw new Error(`audit read ${auditedBytes} bytes, expected ${tarBytes}`);

    const mbps = (r: Row) => tarBytes / 1e6 / median(r.seconds);
    const mbpcs = (r: Row) => tarBytes / 1e6 / median(r.cpuSeconds);
    const auditRate = mbps(row("audit"));
    const pass = auditRate >= AUDIT_TARGET_MBPS;
    const lines = [
      `cudaseal audit bench: ${(tarBytes / 1e6).toFixed(0)} MB of tar in ${made.layers.length} gzip layers ` +
        `(${(gzBytes / 1e6).toFixed(0)} MB), ${made.files} files, ${options.runs} run(s), medians; ${availableParallelism()} cores, load ${loadavg()[0].toFixed(1)}`,
      "",
      "| row | what | wall (s) | MB/s | × gzip\\|tar | CPU (s) | MB per CPU-s | × gzip\\|tar | peak RSS (MiB) |",
      "| --- | ---- | -------: | ---: | ----------: | ------: | -----------: | ----------: | -------------: |",
      ...rows.map((r) => {
        const rss = r.samples.length ? (median(r.samples.map((s) => s.peakRssKiB)) / 1024).toFixed(0) : "–";
        return (
          `| ${r.id} | ${r.label} | ${median(r.seconds).toFixed(2)} | ${mbps(r).toFixed(0)} | ` +
          `${(mbps(r) / mbps(row("gzip|tar"))).toFixed(2)} | ${median(r.cpuSeconds).toFixed(2)} | ${mbpcs(r).toFixed(0)} | ` +
          `${(mbpcs(r) / mbpcs(row("gzip|tar"))).toFixed(2)} | ${rss} |`
        );
      }),
      "",
      `target: audit ≥ ${AUDIT_TARGET_MBPS} MB/s: ${auditRate.toFixed(0)} MB/s ${pass ? "PASS" : "FAIL"}; ${findings} findings`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    const resultsDir = join(ROOT, "bench", "results");
    await mkdir(resultsDir, { recursive: true });
    const path = join(
      resultsDir,
      `${new Date().toISOString().slice(0, 19).replaceAll(":", "-")}Z-audit.json`,
    );
    const result = {
      tarBytes,
      gzipBytes: gzBytes,
      layers: made.layers.map((l) => ({ tarBytes: l.tarBytes, gzipBytes: l.blob.size })),
      files: made.files,
      runs: options.runs,
      findings,
      host: {
        cores: availableParallelism(),
        cpu: cpus()[0]?.model,
        memoryBytes: totalmem(),
        node: process.version,
        loadavg: loadavg(),
      },
      rows: rows.map((r) => ({ ...r, mbps: mbps(r), mbPerCpuSecond: mbpcs(r) })),
      target: { mbps: AUDIT_TARGET_MBPS, measured: auditRate, pass },
    };
    await writeFile(path, `${JSON.stringify(result, null, 2)}\n`);
    note(`wrote ${path}`);
    return failed || !pass ? 1 : 0;
  } finally {
    if (options.keep) note(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
}

interface MadeLayer {
  blob: LayerBlob;
  tarBytes: number;
}

/**
 * Four layers: a base of small files, the CUDA libraries, a Python tree of
 * small text files, and an app layer that also deletes a planted key.
 */
async function makeImage(
  work: string,
  sizeGb: number,
): Promise<{ dir: string; layers: MadeLayer[]; files: number }> {
  const total = sizeGb * 1e9;
  const plan = [
    { name: "base", libs: 0.08, texts: 3000 },
    { name: "cuda", libs: 0.55, texts: 400 },
    { name: "python", libs: 0.1, texts: 24_000 },
    { name: "app", libs: 0.12, texts: 2000 },
  ];
  const layers: MadeLayer[] = [];
  let files = 0;
  for (const [i, p] of plan.entries()) {
    const src = join(work, `src-${p.name}`);
    await mkdir(join(src, "usr/lib/x86_64-linux-gnu"), { recursive: true });
    // Libraries: 32 MiB ELF files, half random and half repeated, so gzip gets about 2:1.
    const libBytes = Math.floor(total * p.libs);
    const libSize = 32 * 1024 * 1024;
    for (let n = 0; n * libSize < libBytes; n++) {
      const body = Buffer.alloc(libSize);
      body.write("\u007fELF", "latin1");
      for (let off = 64; off < libSize; off += 65536) {
        randomBytes(32768).copy(body, off);
        body.fill(off & 0xff, off + 32768, Math.min(off + 65536, libSize));
      }
      await writeFile(join(src, `usr/lib/x86_64-linux-gnu/lib${p.name}${n}.so.12.4.127`), body);
      files++;
    }
    // Text: Python-like sources of 2-30 KiB, with assignments the secret search must judge.
    for (let n = 0; n < Math.round((p.texts * sizeGb) / 2); n++) {
      const dir = join(src, `usr/lib/python3/dist-packages/${p.name}${n % 300}`);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, `m${n}.py`), pythonish(n, i));
      files++;
    }
    if (p.name === "cuda") {
      await writeFile(
        join(src, "root-key.pem"),
        `-----BEGIN PRIVATE KEY-----\n${randomBytes(900).toString("base64")}\n-----END PRIVATE KEY-----\n`,
      );
    }
    if (p.name === "app") await writeFile(join(src, ".wh.root-key.pem"), "");
    const tar = join(work, `${p.name}.tar`);
    execFileSync("tar", [
      "--sort=name",
      "--owner=0",
      "--group=0",
      "--numeric-owner",
      "-cf",
      tar,
      "-C",
      src,
      ".",
    ]);
    await rm(src, { recursive: true, force: true });
    const diffId = `sha256:${execFileSync("sha256sum", [tar], { encoding: "utf8" }).split(" ")[0]}`;
    const tarBytes = Number(execFileSync("stat", ["-c", "%s", tar], { encoding: "utf8" }).trim());
    execFileSync("pigz", ["-6", tar]);
    const gz = `${tar}.gz`;
    const digest = `sha256:${execFileSync("sha256sum", [gz], { encoding: "utf8" }).split(" ")[0]}`;
    const size = Number(execFileSync("stat", ["-c", "%s", gz], { encoding: "utf8" }).trim());
    layers.push({ blob: { path: gz, digest, size, diffId, mediaType: OCI_LAYER_GZIP }, tarBytes });
  }
  const dir = join(work, "image");
  const config = buildImageConfig({
    arch: "amd64",
    created: new Date(),
    user: "65532:65532",
    env: ["PATH=/usr/bin", "NVIDIA_VISIBLE_DEVICES=all", "NVIDIA_DRIVER_CAPABILITIES=compute,utility"],
    layers: layers.map((l, i) => ({ diffId: l.blob.diffId, createdBy: `bench layer ${i}` })),
  });
  await writeOciLayout(dir, { platforms: [{ config, layers: layers.map((l) => l.blob) }], tag: "bench" });
  // From here on the layers are read where the image holds them.
  for (const l of layers) {
    await rm(l.blob.path);
    l.blob.path = join(dir, "blobs", "sha256", l.blob.digest.slice("sha256:".length));
  }
  return { dir, layers, files };
}

const WORDS = [
  "tensor",
  "device",
  "stream",
  "kernel",
  "buffer",
  "shape",
  "dtype",
  "cache",
  "config",
  "handle",
];

/** A Python-like module: imports, functions, and assignments, some named like secrets but harmless. */
function pythonish(n: number, layer: number): string {
  const size = 2048 + ((n * 7919) % 28_000);
  const lines = [`"""Module ${n} of layer ${layer}."""`, "import os", "import sys", ""];
  let length = 0;
  for (let i = 0; length < size; i++) {
    const w = WORDS[(n + i) % WORDS.length];
    const block = [
      `def ${w}_${i}(x, cache_key=None):`,
      `    api_token = os.environ.get("API_TOKEN_${i}")`,
      `    ${w}_id = "${(n * 31 + i).toString(16).padStart(8, "0")}"`,
      `    return x.${w}(${i}) if x else None`,
      "",
    ];
    lines.push(...block);
    length += block.join("\n").length + 1;
  }
  // One file in a thousand holds a planted token, so the search has something to find.
  if (n % 1000 === 7)
    lines.push(
      `HF = "hf_${randomBytes(24)
        .toString("base64")
        .replace(/[^A-Za-z0-9]/g, "x")}Ab1"`,
    );
  return `${lines.join("\n")}\n`;
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream);
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

function last(r: Row): number {
  return r.seconds[r.seconds.length - 1];
}

function q(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Parse the benchmark's own flags and run it; the exit code. */
export async function auditBenchMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: "string", default: "1" },
      "size-gb": { type: "string", default: "2" },
      keep: { type: "boolean", default: false },
    },
  });
  const runs = Number(values.runs);
  const sizeGb = Number(values["size-gb"]);
  if (!Number.isInteger(runs) || runs < 1 || !(sizeGb > 0)) {
    process.stderr.write(
      "bench --audit: --runs takes a positive whole number, --size-gb a positive number\n",
    );
    return 2;
  }
  return auditBench({ runs, sizeGb, keep: values.keep });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await auditBenchMain(process.argv.slice(2));
}
