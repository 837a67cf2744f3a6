// The push benchmark: cudaseal push against skopeo copy, side by side, into
// a local docker-registry (the CNCF distribution registry) on 127.0.0.1.
//
//   npm run bench -- --push [--runs N] [--image oci:DIR:TAG] [--layers N] [--layer-mb MB] [--keep]
//   npx node bench/push.ts  [same flags]
//
// The image is --image when given (a layout cudaseal built: a cuda-runtime
// one is the realistic case), else a synthetic one: --layers random layers
// of --layer-mb each (default 3 × 100 MB; random bytes, like compressed
// layers, cannot be deduplicated or compressed by anything in the way).
// Rows, each a fresh process timed by GNU time(1):
//   cudaseal        cudaseal push oci:DIR:TAG 127.0.0.1:PORT/bench/cudaseal:v1
//   skopeo          skopeo copy oci:DIR:TAG docker://127.0.0.1:PORT/bench/skopeo:v1
//   … again         the same push once more, nothing changed (every blob
//                   already there); the target is < 1 s
//   --version       cudaseal --version: starting Node and loading the CLI,
//                   the floor under every cudaseal row
// Each tool pushes into a fresh, empty registry per run, so neither can skip
// or mount a blob. The table goes to stdout, the figures to
// bench/results/<date>-push.json.

import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { sha256Digest } from "../src/oci/descriptor.ts";
import { startRegistry } from "../test/helpers/registry.ts";
import { type Sample, timeShell } from "./measure.ts";

const ROOT = resolve(import.meta.dirname, "..");
const CLI = join(ROOT, "bin", "cudaseal.js");

const { values } = parseArgs({
  options: {
    push: { type: "boolean", default: false },
    runs: { type: "string", default: "3" },
    image: { type: "string" },
    layers: { type: "string", default: "3" },
    "layer-mb": { type: "string", default: "100" },
    keep: { type: "boolean", default: false },
  },
  strict: false,
});
const runs = Number(values.runs);
const work = await mkdtemp(join(tmpdir(), "cudaseal-bench-push-"));
const note = (text: string) => process.stderr.write(`${text}\n`);
const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

try {
  const image = typeof values.image === "string" ? values.image : await syntheticImage();
  const layoutBytes = await imageBytes(image);
  note(`image ${image} (${(layoutBytes / 1e6).toFixed(0)} MB of blobs), ${runs} run(s)`);
  const rows: Record<string, { label: string; samples: Sample[]; inProcessS: number[] }> = {
    cudaseal: { label: "cudaseal push", samples: [], inProcessS: [] },
    skopeo: { label: "skopeo copy", samples: [], inProcessS: [] },
    "cudaseal again": { label: "cudaseal push, nothing changed", samples: [], inProcessS: [] },
    "skopeo again": { label: "skopeo copy, nothing changed", samples: [], inProcessS: [] },
    startup: { label: "cudaseal --version (Node start + loading the CLI)", samples: [], inProcessS: [] },
  };
  const cli = `${q(process.execPath)} ${q(CLI)}`;
  const commands: Record<string, (host: string) => string> = {
    cudaseal: (host) => `${cli} push ${q(image)} ${host}/bench/cudaseal:v1 --json --quiet`,
    skopeo: (host) =>
      `skopeo copy --quiet --dest-tls-verify=false ${q(image)} docker://${host}/bench/skopeo:v1`,
    startup: () => `${cli} --version`,
  };
  commands["cudaseal again"] = commands.cudaseal;
  commands["skopeo again"] = commands.skopeo;
  const time = async (id: string, host: string, i: number) => {
    const logs = join(work, `${id.replace(" ", "-")}-${i}`);
    const sample = await timeShell(commands[id](host), {
      shell: "sh",
      stdoutFile: `${logs}.out`,
      stderrFile: `${logs}.err`,
      timeFile: `${logs}.time`,
    });
    if (sample.exitCode !== 0) throw new Error(`${id} failed: ${await readFile(`${logs}.err`, "utf8")}`);
    rows[id].samples.push(sample);
    if (id.startsWith("cudaseal")) {
      const summary = JSON.parse(await readFile(`${logs}.out`, "utf8")) as {
        seconds: number;
        blobs: { pushed: number };
      };
      rows[id].inProcessS.push(summary.seconds);
      if (id === "cudaseal again" && summary.blobs.pushed !== 0)
        throw new Error("the second push sent blobs");
    }
    note(
      `[${id} ${i + 1}/${runs}] ${sample.wallS.toFixed(2)} s wall, ${sample.cpuS.toFixed(2)} s CPU, ${(sample.peakRssKiB / 1024).toFixed(0)} MiB`,
    );
  };
  // Each tool pushes into a registry of its own, new for every run: no blob
  // is anywhere yet, so neither can skip or mount one (skopeo remembers where
  // it saw blobs and would mount them from an earlier run's repository).
  // Which tool goes first alternates, so a warm page cache favours neither.
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? ["cudaseal", "skopeo"] : ["skopeo", "cudaseal"];
    for (const tool of order) {
      const registry = await startRegistry();
      try {
        await time(tool, registry.host, i);
        await time(`${tool} again`, registry.host, i);
      } finally {
        await registry.stop();
      }
    }
    await time("startup", "", i);
  }

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const lines = [
    `push bench: ${image}, ${(layoutBytes / 1e6).toFixed(0)} MB of blobs, ${runs} run(s), medians; ${availableParallelism()} cores`,
    "",
    "| row | wall s | CPU s | peak RSS MiB | MB/s | in-process s |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  const med: Record<string, number> = {};
  for (const [id, row] of Object.entries(rows)) {
    const wall = median(row.samples.map((s) => s.wallS));
    med[id] = wall;
    const first = id === "cudaseal" || id === "skopeo";
    lines.push(
      `| ${row.label} | ${wall.toFixed(2)} | ${median(row.samples.map((s) => s.cpuS)).toFixed(2)} | ` +
        `${(median(row.samples.map((s) => s.peakRssKiB)) / 1024).toFixed(0)} | ` +
        `${first ? (layoutBytes / 1e6 / wall).toFixed(0) : "-"} | ` +
        `${row.inProcessS.length > 0 ? median(row.inProcessS).toFixed(2) : "-"} |`,
    );
  }
  lines.push(
    "",
    `cudaseal / skopeo wall time, first push: ${(med.cudaseal / med.skopeo).toFixed(2)}`,
    `cudaseal / skopeo wall time, nothing changed: ${(med["cudaseal again"] / med["skopeo again"]).toFixed(2)}`,
    `target: second push < 1 s: ${med["cudaseal again"] < 1 ? "PASS" : "FAIL"} (${med["cudaseal again"].toFixed(2)} s)`,
    "",
  );
  process.stdout.write(lines.join("\n"));
  const resultsDir = join(ROOT, "bench", "results");
  await mkdir(resultsDir, { recursive: true });
  const path = join(resultsDir, `${new Date().toISOString().slice(0, 19).replaceAll(":", "-")}Z-push.json`);
  await writeFile(
    path,
    `${JSON.stringify(
      {
        image,
        blobBytes: layoutBytes,
        runs,
        host: {
          cores: availableParallelism(),
          cpu: cpus()[0]?.model,
          node: process.version,
          loadavg: loadavg(),
        },
        skopeo: spawnSync("skopeo", ["--version"], { encoding: "utf8" }).stdout.trim(),
        rows,
      },
      null,
      2,
    )}\n`,
  );
  note(`wrote ${path}`);
} finally {
  if (values.keep) note(`kept ${work}`);
  else await rm(work, { recursive: true, force: true });
}

/** A layout of random layers: what compressed layers look like to a registry. */
async function syntheticImage(): Promise<string> {
  const dir = join(work, "synthetic");
  const blobs = join(dir, "blobs", "sha256");
  await mkdir(blobs, { recursive: true });
  const layers = [];
  const count = Number(values.layers);
  const size = Number(values["layer-mb"]) * 1024 * 1024;
  note(`writing ${count} random layers of ${values["layer-mb"]} MB`);
  for (let i = 0; i < count; i++) {
    const tmp = join(dir, `layer-${i}`);
    const out = createWriteStream(tmp);
    const hash = createHash("sha256");
    for (let done = 0; done < size; done += 1 << 20) {
      const chunk = randomBytes(Math.min(1 << 20, size - done));
      hash.update(chunk);
      if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
    }
    await new Promise<void>((r) => out.end(() => r()));
    const digest = `sha256:${hash.digest("hex")}`;
    await rename(tmp, join(blobs, digest.slice(7)));
    layers.push({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest, size });
  }
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) },
      config: {},
    }),
  );
  const configDesc = {
    mediaType: "application/vnd.oci.image.config.v1+json",
    digest: sha256Digest(config),
    size: config.length,
  };
  await writeFile(join(blobs, configDesc.digest.slice(7)), config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: configDesc,
      layers,
    }),
  );
  const digest = sha256Digest(manifest);
  await writeFile(join(blobs, digest.slice(7)), manifest);
  await writeFile(join(dir, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [
        {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          digest,
          size: manifest.length,
          annotations: { "org.opencontainers.image.ref.name": "bench" },
        },
      ],
    }),
  );
  return `oci:${dir}:bench`;
}

/** Bytes of the blobs the image's layout holds. */
async function imageBytes(ref: string): Promise<number> {
  const dir = ref.replace(/^oci:/, "").replace(/:[^/:]*$/, "");
  let total = 0;
  for (const name of await readdir(join(dir, "blobs", "sha256")))
    total += (await stat(join(dir, "blobs", "sha256", name))).size;
  return total;
}
