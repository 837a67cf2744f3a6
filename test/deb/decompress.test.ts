import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { gzipSync } from "node:zlib";
import { type Compression, compressionOf, decompress, decompressorFor } from "../../src/deb/decompress.ts";
import { CudasealError, isCudasealError } from "../../src/errors.ts";

// Compressible but not trivial: text with a counter, then some noise.
const PLAIN = Buffer.concat([
  Buffer.from(Array.from({ length: 20_000 }, (_, i) => `line ${i} of the test data\n`).join("")),
  randomBytes(100_000),
]);

/** PLAIN compressed by the real tools (zlib for gzip). */
function packed(c: Compression, data = PLAIN): Buffer {
  if (c === "xz") return execFileSync("xz", ["-6", "-T1", "-c"], { input: data, maxBuffer: 1 << 30 });
  if (c === "zstd") return execFileSync("zstd", ["-q", "-c"], { input: data, maxBuffer: 1 << 30 });
  if (c === "gzip") return gzipSync(data);
  return data;
}

const SUFFIX: Record<Compression, string> = { xz: ".xz", zstd: ".zst", gzip: ".gz", none: "" };

async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of source) parts.push(c);
  return Buffer.concat(parts);
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("compressionOf", () => {
  test("by suffix, with no suffix or .tar stored as is", () => {
    const cases: [string, Compression][] = [
      ["data.tar.xz", "xz"],
      ["control.tar.zst", "zstd"],
      ["data.tar.gz", "gzip"],
      ["data.tar", "none"],
      ["dists/trixie/main/binary-amd64/Packages", "none"],
      ["Packages.xz", "xz"],
      ["layer", "none"],
    ];
    for (const [name, c] of cases) assert.equal(compressionOf(name), c, name);
  });

  test("bzip2, lzma and unknown suffixes are DEB_INVALID, with a hint", () => {
    for (const name of ["data.tar.bz2", "data.tar.lzma", "data.tar.br", "Packages.json"]) {
      assert.throws(
        () => decompressorFor(name),
        (err) => isCudasealError(err, "DEB_INVALID") && typeof err.hint === "string",
        name,
      );
    }
  });
});

describe("decompress", () => {
  for (const c of ["xz", "zstd", "gzip", "none"] as const) {
    test(`${c}: the bytes the real tool compressed come back, fed in odd chunks`, async () => {
      const out = await collect(decompress(chunked(packed(c), 999), `data.tar${SUFFIX[c]}`, "pkg"));
      assert.equal(sha(out), sha(PLAIN));
    });
  }

  for (const c of ["xz", "zstd", "gzip"] as const) {
    test(`${c}: a corrupt byte in the middle is DEB_INVALID naming the package`, async () => {
      const bytes = Buffer.from(packed(c));
      bytes[bytes.length >> 1] ^= 0x55;
      await assert.rejects(
        collect(decompress(chunked(bytes, 4096), `data.tar${SUFFIX[c]}`, "libbroken")),
        (err) => isCudasealError(err, "DEB_INVALID") && err.details?.origin === "libbroken",
      );
    });

    test(`${c}: a stream cut short is DEB_INVALID`, async () => {
      const bytes = packed(c);
      await assert.rejects(
        collect(decompress(chunked(bytes.subarray(0, bytes.length - 20), 4096), `x${SUFFIX[c]}`, "pkg")),
        (err) => isCudasealError(err, "DEB_INVALID"),
      );
    });
  }

  test("an error of the compressed stream itself passes through with its code", async () => {
    const failing = (async function* () {
      yield packed("xz").subarray(0, 100);
      throw new CudasealError("FETCH_FAILED", "the network went away");
    })();
    await assert.rejects(collect(decompress(failing, "x.xz", "pkg")), (err) =>
      isCudasealError(err, "FETCH_FAILED"),
    );
  });

  test("stopping early destroys the decompressor and releases the compressed stream", async () => {
    let released = false;
    const source = (async function* () {
      try {
        yield* chunked(packed("xz"), 1024);
      } finally {
        released = true;
      }
    })();
    for await (const _ of decompress(source, "x.xz", "pkg")) break;
    assert.ok(released);
  });

  test("a slow reader holds the compressed side back: little is pulled ahead", async () => {
    const data = randomBytes(32 * 1024 * 1024);
    const gz = gzipSync(data, { level: 1 });
    let pulled = 0;
    const source = (async function* () {
      for (let i = 0; i < gz.length; i += 64 * 1024) {
        const c = gz.subarray(i, i + 64 * 1024);
        pulled += c.length;
        yield c;
      }
    })();
    const it = decompress(source, "x.gz", "pkg");
    await it.next();
    await sleep(100);
    assert.ok(pulled < 4 * 1024 * 1024, `pulled ${pulled} bytes ahead of a reader that took one chunk`);
    await it.return(undefined);
  });
});
