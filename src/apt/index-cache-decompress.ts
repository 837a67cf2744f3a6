// How the compact index builder decompresses a Packages.xz or .gz wherever it
// runs: the system's xz in its own process, or zlib; never lzma-native, whose
// addon cannot be loaded by a worker thread as well as the main thread
// ('Module did not self-register'). index-cache.ts uses deb/decompress.ts
// instead where the system has no xz, and then builds in the main thread.

import type { Transform } from "node:stream";
import { createGunzip } from "node:zlib";
import { XzProcess, xzBinary } from "../deb/xz-process.ts";
import { CudasealError } from "../errors.ts";

// As deb/decompress.ts bounds a hostile stream's window.
const XZ_MEMLIMIT = 256 * 1024 * 1024;

export function processDecompressor(suffix: string): Transform {
  if (suffix === ".gz") return createGunzip({ chunkSize: 256 * 1024 });
  const binary = xzBinary();
  if (suffix !== ".xz" || !binary)
    throw new CudasealError("INTERNAL", `no decompressor for Packages${suffix}`);
  return new XzProcess(binary, XZ_MEMLIMIT) as unknown as Transform;
}
