// Turns a stream of uncompressed layer bytes into a compressed blob file in
// one pass: the bytes are hashed (diff_id) on their way into the compressor,
// and the compressed bytes are hashed (digest) on their way to disk. Nothing
// is held whole in memory.

import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { constants, createGzip, createZstdCompress } from "node:zlib";

export type CompressionAlgorithm = "gzip" | "zstd";

export interface Compression {
  algorithm: CompressionAlgorithm;
  level: number;
}

/** The default: measured on CUDA libraries, gzip -1 is ~3% larger than -6 and twice as fast (docs/performance.md). */
export const DEFAULT_COMPRESSION: Compression = { algorithm: "gzip", level: 1 };

export interface WrittenBlob {
  path: string;
  /** `sha256:<hex>` of the compressed bytes. */
  digest: string;
  size: number;
  /** `sha256:<hex>` of the uncompressed tar. */
  diffId: string;
  uncompressedSize: number;
  mediaType: string;
}

export function layerMediaType(algorithm: CompressionAlgorithm): string {
  return algorithm === "zstd"
    ? "application/vnd.oci.image.layer.v1.tar+zstd"
    : "application/vnd.oci.image.layer.v1.tar+gzip";
}

class Hasher extends Transform {
  readonly hash = createHash("sha256");
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }
}

function compressor(c: Compression): Transform {
  if (c.algorithm === "zstd") {
    return createZstdCompress({
      params: { [constants.ZSTD_c_compressionLevel]: c.level, [constants.ZSTD_c_checksumFlag]: 1 },
    });
  }
  // Large chunks keep the per-call overhead of the thread pool small.
  return createGzip({ level: c.level, chunkSize: 256 * 1024 });
}

/** Compress `source` into `path`, returning both digests. */
export async function writeBlob(
  source: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  path: string,
  compression: Compression,
): Promise<WrittenBlob> {
  const raw = new Hasher();
  const packed = new Hasher();
  await pipeline(source, raw, compressor(compression), packed, createWriteStream(path, { flags: "wx" }));
  return {
    path,
    digest: `sha256:${packed.hash.digest("hex")}`,
    size: packed.bytes,
    diffId: `sha256:${raw.hash.digest("hex")}`,
    uncompressedSize: raw.bytes,
    mediaType: layerMediaType(compression.algorithm),
  };
}
