// A gzip layer blob for wheel entries that copies each large wheel member's
// deflate stream into the blob instead of compressing its bytes again.
//
// gzip (RFC 1952) is a series of members, each a deflate stream with a
// CRC-32 and length; every gzip reader that OCI runtimes use reads them all
// as one stream (Go's compress/gzip, zlib, GNU gzip, Python's gzip). A wheel
// member stored with deflate is already such a stream, and the zip's central
// directory holds its CRC-32 and length, so it becomes a gzip member with
// only a 10-byte header and an 8-byte trailer around bytes copied from the
// wheel. Everything else (tar headers, padding, small files, launchers,
// RECORD) is gathered and compressed as ordinary gzip members.
//
// The copy is written only after the member's bytes were inflated, counted,
// CRC-checked and checked against RECORD on their way through the tar
// writer (which also hashes them into the diff_id), and the copied bytes
// must have the CRC-32 they had when inflated: what the blob decompresses to
// is exactly the tar that was hashed. The blob's bytes depend only on the
// wheels and the entries, so a layer is as reproducible as with writeBlob.

import { createHash } from "node:crypto";
import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { promisify } from "node:util";
import { crc32, gzip } from "node:zlib";
import { CudasealError } from "../../errors.ts";
import { layerMediaType, type WrittenBlob } from "../../layer/blob-writer.ts";
import { layerTar } from "../../layer/layer-tar.ts";
import type { DeflatedMember, WheelLayerEntry } from "./install.ts";

const gzipAsync = promisify(gzip);
/** Compressed gzip members of gathered bytes: large enough that member overhead is nothing. */
const GATHER = 1024 * 1024;
/** Gathered bytes up to this many go out as one stored (uncompressed) deflate block. */
const STORED_MAX = 0xffff;
/** gzip header: magic, deflate, no flags, mtime 0, no extra flags, OS unknown (constant bytes). */
const MEMBER_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);

/**
 * Writes the layer tar of `entries` to `path` as a gzip blob (level `level`
 * for what is compressed here), copying deflated wheel members as they are.
 */
export async function writeWheelLayerBlob(
  entries: AsyncIterable<WheelLayerEntry> | Iterable<WheelLayerEntry>,
  path: string,
  level = 1,
): Promise<WrittenBlob> {
  const out = createWriteStream(path, { flags: "wx" });
  const packed = createHash("sha256");
  let packedSize = 0;
  const write = async (chunk: Buffer) => {
    packed.update(chunk);
    packedSize += chunk.length;
    if (!out.write(chunk)) await once(out, "drain");
  };
  const marked = new WeakSet<object>();
  const ready: DeflatedMember[] = [];
  const tarSource = layerTar(markBodies(entries, marked, ready));
  const rawHash = createHash("sha256");
  let rawSize = 0;
  let gathered: Buffer[] = [];
  let gatheredSize = 0;
  const flush = async () => {
    if (gatheredSize === 0) return;
    const bytes = Buffer.concat(gathered);
    // A tar header and padding between two copied members: not worth a compressor.
    const member = bytes.length <= STORED_MAX ? storedMember(bytes) : await gzipAsync(bytes, { level });
    gathered = [];
    gatheredSize = 0;
    await write(member);
  };
  try {
    for await (const chunk of tarSource) {
      rawHash.update(chunk);
      rawSize += chunk.length;
      if (marked.has(chunk)) {
        // A copied member's bytes: what came before goes out first, these go out as stored.
        await flush();
        continue;
      }
      while (ready.length > 0) await copyMember(ready.shift() as DeflatedMember, write);
      gathered.push(chunk);
      gatheredSize += chunk.length;
      if (gatheredSize >= GATHER) await flush();
    }
    while (ready.length > 0) await copyMember(ready.shift() as DeflatedMember, write);
    await flush();
    out.end();
    await once(out, "finish");
  } catch (err) {
    out.destroy();
    throw err;
  }
  return {
    path,
    digest: `sha256:${packed.digest("hex")}`,
    size: packedSize,
    diffId: `sha256:${rawHash.digest("hex")}`,
    uncompressedSize: rawSize,
    mediaType: layerMediaType("gzip"),
  };
}

/**
 * The entries with each deflated member's body chunks marked (the tar
 * writer passes body chunks through as the same objects) and the member
 * queued for copying once its body has been read to the end and checked.
 */
async function* markBodies(
  entries: AsyncIterable<WheelLayerEntry> | Iterable<WheelLayerEntry>,
  marked: WeakSet<object>,
  ready: DeflatedMember[],
): AsyncGenerator<WheelLayerEntry> {
  for await (const e of entries) {
    const deflated = e.deflated;
    const body = e.body;
    if (!deflated || !body || body instanceof Uint8Array) {
      yield e;
      continue;
    }
    yield {
      ...e,
      body: (async function* () {
        for await (const chunk of body) {
          const buf = Buffer.isBuffer(chunk)
            ? chunk
            : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
          marked.add(buf);
          yield buf;
        }
        ready.push(deflated);
      })(),
    };
  }
}

/** A gzip member holding `bytes` (at most 65535) in one stored deflate block. */
function storedMember(bytes: Buffer): Buffer {
  const out = Buffer.alloc(MEMBER_HEADER.length + 5 + bytes.length + 8);
  MEMBER_HEADER.copy(out, 0);
  let p = MEMBER_HEADER.length;
  out[p] = 1; // final block, stored
  out.writeUInt16LE(bytes.length, p + 1);
  out.writeUInt16LE(~bytes.length & 0xffff, p + 3);
  p += 5;
  bytes.copy(out, p);
  p += bytes.length;
  out.writeUInt32LE(crc32(bytes) >>> 0, p);
  out.writeUInt32LE(bytes.length, p + 4);
  return out;
}

/**
 * One gzip member around the member's stored deflate stream: the bytes the
 * reader kept for a small member, or read again from the wheel and
 * CRC-checked against the first read for a large one.
 */
async function copyMember(m: DeflatedMember, write: (chunk: Buffer) => Promise<void>): Promise<void> {
  if (!m.raw) throw new Error(`internal: ${m.file}: a deflated member was queued before it was read`);
  await write(MEMBER_HEADER);
  if (m.raw.stored) {
    await write(m.raw.stored);
    await write(trailer(m));
    return;
  }
  let crc = 0;
  const stream = createReadStream(m.file, {
    start: m.raw.start,
    end: m.raw.start + m.compressedSize - 1,
    highWaterMark: 1024 * 1024,
  });
  for await (const chunk of stream) {
    crc = crc32(chunk as Buffer, crc);
    await write(chunk as Buffer);
  }
  if (crc >>> 0 !== m.raw.rawCrc32) {
    throw new CudasealError("WHEEL_INVALID", `${m.file} changed while it was being installed`, {
      hint: "nothing else may write to the wheel cache during a build; run the build again",
      details: { wheel: m.file },
    });
  }
  await write(trailer(m));
}

/** The gzip trailer: CRC-32 and length (mod 2^32) of the uncompressed bytes. */
function trailer(m: DeflatedMember): Buffer {
  const out = Buffer.alloc(8);
  out.writeUInt32LE(m.crc32 >>> 0, 0);
  out.writeUInt32LE(m.size % 2 ** 32, 4);
  return out;
}
