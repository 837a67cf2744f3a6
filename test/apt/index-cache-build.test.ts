// The compact index builder on hand-written Packages text: it checks only
// what its name table needs, so a paragraph missing a field every record
// needs fails the whole build (no entry is written), while a malformed
// relation is written as it is and refused, with the same code, when the
// record is decoded.

import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { crc32, gzipSync } from "node:zlib";
import { buildCachedIndex, indexWorkerBuilds } from "../../src/apt/index-cache.ts";
import { buildIndexCache } from "../../src/apt/index-cache-build.ts";
import { encodeHeader, HEADER_SIZE } from "../../src/apt/index-cache-format.ts";
import { CompactIndex } from "../../src/apt/index-cache-read.ts";
import { toPackageRecord } from "../../src/apt/package-record.ts";
import { Paragraph } from "../../src/deb/deb822.ts";
import { isCudasealError } from "../../src/errors.ts";

const repo = { uri: "http://127.0.0.1:1/debian", suite: "trixie", component: "main", priority: 500 };
const SHA = "ab".repeat(32);

function paragraph(name: string, extra = "", drop?: string): string {
  const fields = [
    `Package: ${name}`,
    "Version: 1.0",
    "Architecture: amd64",
    `Filename: pool/main/${name}_1.0_amd64.deb`,
    "Size: 10",
    `SHA256: ${"cd".repeat(32)}`,
  ].filter((line) => !drop || !line.startsWith(`${drop}:`));
  return `${fields.join("\n")}\n${extra}`;
}

async function build(t: test.TestContext, text: string) {
  const dir = await mkdtemp(join(tmpdir(), "cudaseal-index-build-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, "Packages");
  await writeFile(file, text);
  const dest = join(dir, "entry");
  const job = { file, suffix: "", sha256: SHA, arch: "amd64", dest, repo, maxBytes: 1 << 20 };
  const noDecompressor = () => assert.fail("a plain index needs no decompressor");
  return { dir, dest, run: () => buildIndexCache(job, noDecompressor) };
}

for (const field of ["Package", "Version", "Architecture", "Filename", "Size", "SHA256"]) {
  test(`a paragraph without ${field} fails the build, as toPackageRecord would, and leaves no entry`, async (t) => {
    const text = `${paragraph("good")}\n${paragraph("bad", "", field)}`;
    const { dir, run } = await build(t, text);
    await assert.rejects(
      run(),
      (err) => isCudasealError(err, "APT_RELEASE_INVALID") && /has no/.test(err.message),
    );
    assert.deepEqual(await readdir(dir), ["Packages"]);
  });
}

test("a malformed name, architecture or Provides fails the build", async (t) => {
  for (const text of [
    paragraph("-bad"),
    paragraph("bad").replace("Architecture: amd64", "Architecture: AMD64"),
    paragraph("bad", "Provides: a | b\n"),
  ]) {
    const { run } = await build(t, text);
    await assert.rejects(run(), (err) => isCudasealError(err, "APT_RELEASE_INVALID"));
  }
});

test("a name or field name too long for the compact form's 16-bit lengths fails the build with a code", async (t) => {
  const long = "a".repeat(70_000);
  for (const text of [
    paragraph(long),
    paragraph("bad", `Provides: ${long}\n`),
    paragraph("bad", `X${long}: 1\n`),
  ]) {
    const { dir, run } = await build(t, text);
    await assert.rejects(run(), (err) => isCudasealError(err, "APT_RELEASE_INVALID"));
    assert.deepEqual(await readdir(dir), ["Packages"]);
  }
});

test("a malformed relation is kept and refused when its record is decoded; others decode", async (t) => {
  const text = [
    paragraph("good", "Depends: libc6 (>= 2.36)\nProvides: virtual-a, virtual-b (= 1)\n"),
    paragraph("broken", "Depends: libc6 (>= \n"),
    paragraph("other").replace("Architecture: amd64", "Architecture: arm64"),
  ].join("\n");
  const { dest, run } = await build(t, text);
  assert.deepEqual(await run(), { records: 2, names: 4 });
  const index = CompactIndex.open(dest, SHA, "amd64");
  const decode = (id: number) => toPackageRecord(new Paragraph(index.fields(id)), repo);
  const [good] = index.recordIds("good");
  assert.deepEqual(decode(good).depends, [[{ name: "libc6", op: ">=", version: "2.36" }]]);
  // The Provides position the name table stores is the one toPackageRecord gives.
  const [[id, position]] = index.providerIds("virtual-b");
  assert.equal(id, good);
  assert.equal(decode(id).provides[position].name, "virtual-b");
  const [broken] = index.recordIds("broken");
  assert.throws(
    () => decode(broken),
    (err) => isCudasealError(err, "APT_RELEASE_INVALID"),
  );
  assert.deepEqual(index.recordIds("other"), [], "another architecture's record is left out");
});

test("a small index builds in this thread; one whose text outgrows the bound moves to a worker", async (t) => {
  const run = async (text: string, name: string) => {
    const { dir: where } = await build(t, "");
    const file = join(where, `${name}.gz`);
    await writeFile(file, gzipSync(text));
    const dest = join(where, `${name}-entry`);
    const before = indexWorkerBuilds();
    const job = { file, suffix: ".gz", sha256: SHA, arch: "amd64", dest, repo, maxBytes: 1 << 30 };
    const index = await buildCachedIndex(job);
    return { index, workers: indexWorkerBuilds() - before, left: await readdir(where) };
  };
  const one = await run(paragraph("small"), "small");
  assert.equal(one.workers, 0);
  assert.deepEqual(one.index.recordIds("small"), [0]);
  // 40 MiB of text in a few KiB of gzip: past the in-thread bound, so built again in a worker.
  const huge = `Description: x\n ${"y".repeat(1024 * 1024 - 20)}\n`;
  const text = Array.from({ length: 40 }, (_, i) => paragraph(`big${i}`, huge)).join("\n");
  const big = await run(text, "big");
  assert.equal(big.workers, 1);
  assert.equal(big.index.header.records, 40);
  assert.deepEqual(big.left.sort(), ["Packages", "big-entry", "big.gz"]);
});

test("a name table that points past its end, with its checksum made to match, is CACHE_CORRUPT and removed", async (t) => {
  const { dest, run } = await build(t, paragraph("good"));
  await run();
  const { header } = CompactIndex.open(dest, SHA, "amd64");
  const bytes = await readFile(dest);
  const tables = HEADER_SIZE + header.recordsBytes;
  // The one name's real-record count, just past its length and "good": a thousand records, not one.
  const names = tables + header.offsetsBytes + header.nameIndexBytes;
  bytes.writeUInt32LE(1000, names + 2 + "good".length);
  encodeHeader({ ...header, tables: crc32(bytes.subarray(tables)) }).copy(bytes, 0);
  await writeFile(dest, bytes);
  const index = CompactIndex.open(dest, SHA, "amd64");
  assert.throws(
    () => index.recordIds("good"),
    (err) => isCudasealError(err, "CACHE_CORRUPT") && err.details?.indexCache === true,
  );
  assert.deepEqual((await readdir(join(dest, ".."))).sort(), ["Packages"]);
});
