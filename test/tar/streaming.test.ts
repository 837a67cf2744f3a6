// The reader and writer as streams: nothing read ahead of the consumer,
// bodies far over 2 GiB passing through as slices, a spent body that cannot
// read the next entry's bytes, and the source released when reading stops.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { isCudasealError } from "../../src/errors.ts";
import { BLOCK, encodeHeader, padding } from "../../src/tar/header.ts";
import { readTar } from "../../src/tar/reader.ts";
import { writeTar } from "../../src/tar/writer.ts";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

function header(name: string, size: number): Buffer {
  return encodeHeader({ name, mode: 0o644, uid: 0, gid: 0, size, mtime: 0, typeflag: "0", linkname: "" });
}

interface Counted {
  source: AsyncGenerator<Buffer>;
  produced: () => number;
  released: () => boolean;
}

/**
 * A tar made on the fly: each file's header, then its body as `chunk`-sized
 * slices of one shared buffer (so gigabytes cost no memory), then padding.
 */
function generated(files: { name: string; size: number; fill?: number }[], chunk = MiB): Counted {
  let produced = 0;
  let released = false;
  const source = (async function* () {
    try {
      for (const f of files) {
        const h = header(f.name, f.size);
        produced += h.length;
        yield h;
        const data = Buffer.alloc(Math.min(chunk, Math.max(f.size, 1)), f.fill ?? 0);
        for (let left = f.size; left > 0; ) {
          const n = Math.min(left, data.length);
          produced += n;
          left -= n;
          yield n === data.length ? data : data.subarray(0, n);
        }
        const pad = padding(f.size);
        produced += pad;
        if (pad) yield Buffer.alloc(pad);
      }
      produced += 2 * BLOCK;
      yield Buffer.alloc(2 * BLOCK);
    } finally {
      released = true;
    }
  })();
  return { source, produced: () => produced, released: () => released };
}

describe("readTar pulls only what the consumer asks for", () => {
  test("while a 64 MiB body is read slowly, the source is never more than one chunk ahead", async () => {
    const chunk = 64 * 1024;
    const src = generated([{ name: "big", size: 64 * MiB, fill: 7 }], chunk);
    let consumed = 0;
    let maxAhead = 0;
    for await (const entry of readTar(src.source, { origin: "test" })) {
      consumed += BLOCK;
      for await (const c of entry.body) {
        consumed += c.length;
        maxAhead = Math.max(maxAhead, src.produced() - consumed);
      }
    }
    assert.ok(maxAhead <= chunk, `the reader ran ${maxAhead} bytes ahead`);
  });

  test("a 2.25 GiB body streams through in slices, and a 9 GiB one (PAX size) is skipped without reading it", async () => {
    const src = generated([
      { name: "usr/lib/huge.a", size: 2 * GiB + GiB / 4, fill: 1 },
      { name: "usr/lib/huger.a", size: 9 * GiB },
      { name: "usr/lib/after", size: 5, fill: 0x61 },
    ]);
    const seen: [string, number][] = [];
    let maxChunk = 0;
    let sum = 0;
    for await (const entry of readTar(src.source, { origin: "test" })) {
      seen.push([entry.path, entry.size]);
      if (entry.path === "usr/lib/huger.a") {
        await entry.skip();
        continue;
      }
      for await (const c of entry.body) {
        maxChunk = Math.max(maxChunk, c.length);
        sum += c.length;
      }
    }
    assert.deepEqual(seen, [
      ["usr/lib/huge.a", 2 * GiB + GiB / 4],
      ["usr/lib/huger.a", 9 * GiB],
      ["usr/lib/after", 5],
    ]);
    assert.equal(sum, 2 * GiB + GiB / 4 + 5);
    assert.ok(maxChunk <= MiB);
  });
});

describe("bodies and the source", () => {
  test("a body kept after the reader moved on yields nothing, never the next entry's bytes", async () => {
    const src = generated([
      { name: "a", size: 3000, fill: 0x61 },
      { name: "b", size: 3000, fill: 0x62 },
    ]);
    const it = readTar(src.source, { origin: "test" });
    const a = (await it.next()).value!;
    const b = (await it.next()).value!;
    const stale: Buffer[] = [];
    for await (const c of a.body) stale.push(c);
    assert.equal(stale.length, 0);
    const parts: Buffer[] = [];
    for await (const c of b.body) parts.push(c);
    assert.deepEqual(Buffer.concat(parts), Buffer.alloc(3000, 0x62));
    assert.ok((await it.next()).done);
  });

  test("reading a body while already asking for the next entry is INTERNAL, not interleaved bytes", async () => {
    const slow = (async function* () {
      yield header("a", 4 * BLOCK);
      for (let i = 0; i < 4; i++) {
        await sleep(5);
        yield Buffer.alloc(BLOCK, 1);
      }
      yield Buffer.alloc(2 * BLOCK);
    })();
    const it = readTar(slow, { origin: "test" });
    const a = (await it.next()).value!;
    const reading = a.body[Symbol.asyncIterator]().next();
    const results = await Promise.allSettled([reading, it.next()]);
    const internal = results.filter((r) => r.status === "rejected" && isCudasealError(r.reason, "INTERNAL"));
    assert.equal(internal.length, 1);
  });

  test("breaking out of the entries releases the source", async () => {
    const src = generated([
      { name: "a", size: 10 },
      { name: "b", size: 10 },
    ]);
    for await (const entry of readTar(src.source, { origin: "test" })) {
      assert.equal(entry.path, "a");
      break;
    }
    assert.ok(src.released());
  });

  test("a failure releases the source too", async () => {
    let released = false;
    const source = (async function* () {
      try {
        const h = header("x", 0);
        h[0] ^= 1;
        yield h;
        yield Buffer.alloc(2 * BLOCK);
      } finally {
        released = true;
      }
    })();
    await assert.rejects(
      (async () => {
        for await (const _ of readTar(source, { origin: "test" })) {
          // nothing
        }
      })(),
      (err) => isCudasealError(err, "TAR_INVALID"),
    );
    assert.ok(released);
  });
});

describe("writeTar pulls bodies only as its consumer pulls bytes", () => {
  test("the body of an entry is not touched until the bytes after its header are asked for", async () => {
    let pulled = 0;
    const body = (async function* () {
      for (let i = 0; i < 4; i++) {
        pulled++;
        yield Buffer.alloc(MiB, i);
      }
    })();
    const out = writeTar([
      { path: "f", type: "file", mode: 0o644, uid: 0, gid: 0, mtime: 0, size: 4 * MiB, body },
    ]);
    const first = await out.next();
    assert.equal(first.value?.length, BLOCK);
    assert.equal(pulled, 0);
    await out.next();
    assert.equal(pulled, 1);
    let total = MiB;
    for await (const c of out) total += c.length;
    assert.equal(total, 4 * MiB + 2 * BLOCK);
    assert.equal(pulled, 4);
  });
});
