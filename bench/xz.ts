// How fast cudaseal decompresses xz (lzma-native, through the same
// decompress() that reads data.tar.xz) against the xz binary, on one large
// file: 200 MB in 1 MiB blocks, alternately incompressible (AES-CTR output,
// like compressed payloads inside a package) and repetitive (text and
// patterns, like headers, docs and symbol tables), compressed once with
// `xz -6 -T1` and kept in the cache directory for later runs.
//
//   npx node bench/xz.ts [--size-mb 200] [--runs 3] [--dir DIR]    (--runs 0: only make the input)
//
// Prints one line per run and a summary: MB/s of decompressed output and the
// ratio lzma-native / xz. The xz binary writes to /dev/null; the Node side
// only counts bytes, so both measure decompression and little else.

import { spawn } from "node:child_process";
import { createCipheriv } from "node:crypto";
import { createReadStream, createWriteStream, existsSync } from "node:fs";
import { mkdir, rename, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import lzma from "lzma-native";
import { decompress } from "../src/deb/decompress.ts";

const { values } = parseArgs({
  options: {
    "size-mb": { type: "string", default: "200" },
    runs: { type: "string", default: "3" },
    dir: { type: "string", default: join(tmpdir(), "cudaseal-bench") },
  },
});
const sizeMb = Number(values["size-mb"]);
const runs = Number(values.runs);
const MiB = 1024 * 1024;

/** The benchmark input, deterministic: the same bytes on every machine. */
function* input(blocks: number): Generator<Buffer> {
  const cipher = createCipheriv("aes-256-ctr", Buffer.alloc(32, 7), Buffer.alloc(16, 0));
  const zeros = Buffer.alloc(MiB);
  const line = Buffer.from(
    "I: libcublas.so.12 => /usr/local/cuda/lib64/libcublas.so.12 (0x00007f3a2c000000)\n",
  );
  for (let i = 0; i < blocks; i++) {
    if (i % 2 === 0) {
      yield cipher.update(zeros);
    } else {
      const block = Buffer.alloc(MiB);
      // Text with a counter, then a pattern: compressible, but not trivially.
      let pos = 0;
      for (let n = 0; pos < MiB / 2; n++)
        pos += block.write(`${n.toString(16).padStart(8, "0")} `, pos) + line.copy(block, pos + 9);
      for (let j = MiB / 2; j < MiB; j++) block[j] = (j * 31 + i) & 0x3f;
      yield block;
    }
  }
}

async function makeInput(file: string): Promise<void> {
  if (existsSync(file)) return;
  await mkdir(values.dir!, { recursive: true });
  process.stderr.write(`making ${file} (xz -6 -T1 of ${sizeMb} MiB; this takes a while)…\n`);
  const tmp = `${file}.tmp`;
  const xz = spawn("xz", ["-6", "-T1", "-c"], { stdio: ["pipe", "pipe", "inherit"] });
  const done = new Promise<void>((resolve, reject) =>
    xz.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`xz exited ${code}`)))),
  );
  await Promise.all([pipeline(input(sizeMb), xz.stdin), pipeline(xz.stdout, createWriteStream(tmp)), done]);
  await rename(tmp, file);
}

async function timeIt(run: () => Promise<number>): Promise<{ seconds: number; bytes: number }> {
  const start = process.hrtime.bigint();
  const bytes = await run();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, bytes };
}

async function viaDecompress(file: string): Promise<number> {
  let n = 0;
  for await (const chunk of decompress(createReadStream(file, { highWaterMark: MiB }), file, "bench"))
    n += chunk.length;
  return n;
}

async function viaLzmaNative(file: string): Promise<number> {
  let n = 0;
  const dec = lzma.createDecompressor();
  const counting = pipeline(createReadStream(file, { highWaterMark: MiB }), dec);
  for await (const chunk of dec as AsyncIterable<Buffer>) n += chunk.length;
  await counting;
  return n;
}

function viaXzBinary(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const xz = spawn("xz", ["-dc", "-T1", file], { stdio: ["ignore", "ignore", "inherit"] });
    xz.on("error", reject);
    xz.on("close", (code) => (code === 0 ? resolve(sizeMb * MiB) : reject(new Error(`xz exited ${code}`))));
  });
}

const file = join(values.dir!, `xz-mix-${sizeMb}m.xz`);
await makeInput(file);
const compressed = (await stat(file)).size;
// --runs 0 only makes the input.
if (runs < 1) process.exit(0);
// One untimed pass, so the file is in the page cache for every contender.
await viaXzBinary(file);

const contenders: [string, (f: string) => Promise<number>][] = [
  ["xz -dc -T1 (binary)", viaXzBinary],
  ["lzma-native stream", viaLzmaNative],
  ["cudaseal decompress()", viaDecompress],
];
const best = new Map<string, number>();
for (let r = 1; r <= runs; r++) {
  for (const [name, run] of contenders) {
    const t = await timeIt(() => run(file));
    if (t.bytes !== sizeMb * MiB) throw new Error(`${name} gave ${t.bytes} bytes, expected ${sizeMb * MiB}`);
    const mbs = t.bytes / 1e6 / t.seconds;
    best.set(name, Math.max(best.get(name) ?? 0, mbs));
    process.stdout.write(`run ${r}  ${name.padEnd(24)} ${t.seconds.toFixed(2)} s  ${mbs.toFixed(1)} MB/s\n`);
  }
}
const xzBest = best.get(contenders[0][0])!;
process.stdout.write(
  `\ninput: ${sizeMb} MiB, ${(compressed / 1e6).toFixed(1)} MB as xz (${((compressed / (sizeMb * MiB)) * 100).toFixed(1)}%)\n`,
);
for (const [name] of contenders) {
  const mbs = best.get(name)!;
  process.stdout.write(
    `best  ${name.padEnd(24)} ${mbs.toFixed(1)} MB/s  ×${(mbs / xzBest).toFixed(2)} of xz\n`,
  );
}
