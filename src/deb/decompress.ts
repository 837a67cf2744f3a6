// Picks the decompressor for a member or index by its file name suffix.

import type { Transform } from "node:stream";
import { PassThrough } from "node:stream";
import { createGunzip, createZstdDecompress } from "node:zlib";
import lzma from "lzma-native";
import { CudasealError } from "../errors.ts";

/** A decompression stream for `name` (`.xz`, `.zst`, `.gz`, or no suffix). */
export function decompressorFor(name: string): Transform {
  if (name.endsWith(".xz")) return lzma.createDecompressor() as unknown as Transform;
  if (name.endsWith(".zst")) return createZstdDecompress();
  if (name.endsWith(".gz")) return createGunzip();
  if (!/\.[a-z0-9]+$/.test(name.replace(/^.*\//, "")) || name.endsWith(".tar")) return new PassThrough();
  throw new CudasealError("DEB_INVALID", `unsupported compression: ${name}`, {
    hint: "cudaseal reads xz, zstd and gzip",
  });
}
