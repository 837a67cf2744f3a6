// Both xz decoders (the system `xz` in a child process, and lzma-native)
// give the same bytes, and both refuse a truncated or corrupt stream.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { after, test } from "node:test";
import { decompress } from "../../src/deb/decompress.ts";
import { xzBinary } from "../../src/deb/xz-process.ts";
import { isCudasealError } from "../../src/errors.ts";

const plain = Buffer.concat([randomBytes(300_000), Buffer.alloc(2_000_000, 7), randomBytes(100_000)]);
const packed = execFileSync("xz", ["-6", "-T2", "--block-size=500000", "-c"], {
  input: plain,
  maxBuffer: 1 << 26,
});
const saved = process.env.CUDASEAL_XZ;
after(() => {
  if (saved === undefined) delete process.env.CUDASEAL_XZ;
  else process.env.CUDASEAL_XZ = saved;
});

async function inflate(input: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const parts = [input.subarray(0, 1000), input.subarray(1000)];
  for await (const c of decompress(parts, "data.tar.xz", "test")) chunks.push(c);
  return Buffer.concat(chunks);
}

for (const mode of ["binary", "native"] as const) {
  test(`xz through the ${mode} decoder`, async (t) => {
    process.env.CUDASEAL_XZ = mode === "native" ? "native" : "";
    if (mode === "binary" && !xzBinary()) {
      t.skip("no xz binary on PATH");
      return;
    }
    assert.equal(xzBinary() === undefined, mode === "native");
    assert.ok((await inflate(packed)).equals(plain));
    await assert.rejects(inflate(packed.subarray(0, packed.length - 100)), (err) =>
      isCudasealError(err, "DEB_INVALID"),
    );
    const corrupt = Buffer.from(packed);
    corrupt[Math.floor(corrupt.length / 2)] ^= 0xff;
    await assert.rejects(inflate(corrupt), (err) => isCudasealError(err, "DEB_INVALID"));
  });
}
