// Decompression by file-name suffix, for .deb members (`data.tar.xz`),
// apt indexes (`Packages.xz`) and image layers: xz through the system's `xz`
// where there is one (xz-process.ts) and liblzma (lzma-native) otherwise,
// gzip and zstd through node:zlib. bzip2 and lzma-alone are
// refused: dpkg still reads them but Debian has not built with them for a
// decade, and taking a bzip2 library for packages nobody ships is worse
// than a clear refusal.

import { PassThrough, type Transform } from "node:stream";
import { constants, createGunzip, createZstdDecompress } from "node:zlib";
import lzma from "lzma-native";
import { CudasealError } from "../errors.ts";
import { XzProcess, xzBinary } from "./xz-process.ts";

export type Compression = "xz" | "zstd" | "gzip" | "none";

// Ceilings for hostile streams that ask for huge windows: xz -9 needs 65 MiB
// to decompress and zstd's default limit is 128 MiB; nothing real needs more.
const XZ_MEMLIMIT = 256 * 1024 * 1024;
const ZSTD_WINDOW_LOG_MAX = 27;
// Output chunks of 256 KiB rather than zlib's 16 KiB: fewer, larger chunks
// halve the CPU spent per byte inflated, which dominates reading layers.
const CHUNK = 256 * 1024;

/** The compression a file name's suffix names; throws DEB_INVALID for one cudaseal does not read. */
export function compressionOf(name: string): Compression {
  const base = name.slice(name.lastIndexOf("/") + 1);
  if (base.endsWith(".xz")) return "xz";
  if (base.endsWith(".zst")) return "zstd";
  if (base.endsWith(".gz")) return "gzip";
  if (base.endsWith(".bz2") || base.endsWith(".lzma")) {
    throw new CudasealError(
      "DEB_INVALID",
      `${name} is compressed with ${base.endsWith(".bz2") ? "bzip2" : "lzma"}, which cudaseal does not read`,
      {
        hint: "rebuild the package with xz or zstd (dpkg-deb -Zxz), or unpack and repack it with dpkg-deb",
        details: { member: name },
      },
    );
  }
  // No suffix (`Packages`, `layer`) or a plain `.tar`: stored as is.
  if (!/\.[A-Za-z0-9]+$/.test(base) || base.endsWith(".tar")) return "none";
  throw new CudasealError("DEB_INVALID", `${name}: unknown compression`, {
    hint: "cudaseal reads xz, zstd, gzip and uncompressed data",
    details: { member: name },
  });
}

/** A decompression stream for `name` (`.xz`, `.zst`, `.gz`, or none). */
export function decompressorFor(name: string): Transform {
  switch (compressionOf(name)) {
    case "xz": {
      const binary = xzBinary();
      return binary
        ? (new XzProcess(binary, XZ_MEMLIMIT) as unknown as Transform)
        : lzma.createDecompressor({ memlimit: XZ_MEMLIMIT });
    }
    case "zstd":
      return createZstdDecompress({
        chunkSize: CHUNK,
        params: { [constants.ZSTD_d_windowLogMax]: ZSTD_WINDOW_LOG_MAX },
      });
    case "gzip":
      return createGunzip({ chunkSize: CHUNK });
    case "none":
      return new PassThrough();
  }
}

/**
 * The decompressed bytes of `body`, pulled as the caller reads: nothing is
 * fed to the decompressor faster than its output is taken. A failure of the
 * decompressor becomes DEB_INVALID naming `origin`; a CudasealError from
 * `body` (a truncated .deb) passes through as it is. When the caller stops
 * early the decompressor is destroyed and `body` released before this returns.
 */
export async function* decompress(
  body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  name: string,
  origin: string,
): AsyncGenerator<Buffer> {
  const dec = decompressorFor(name);
  let stopped = false;
  // A listener of our own, so an error with no reader pending is never unhandled.
  dec.on("error", () => {});
  const pump = (async () => {
    try {
      for await (const chunk of body) {
        if (stopped) break;
        if (!dec.write(chunk)) await drained(dec);
        if (stopped) break;
      }
      if (!stopped) dec.end();
    } catch (err) {
      dec.destroy(err as Error);
    }
  })();
  try {
    for await (const out of dec as AsyncIterable<Buffer>) yield out;
  } catch (err) {
    if (err instanceof CudasealError) throw err;
    throw new CudasealError(
      "DEB_INVALID",
      `${origin}: cannot decompress ${name}: ${(err as Error)?.message ?? err}`,
      {
        hint: "the file is corrupt or truncated",
        cause: err,
        details: { origin, member: name },
      },
    );
  } finally {
    stopped = true;
    dec.destroy();
    await pump;
  }
}

/** Resolves when `stream` wants more input, or can never take any. */
function drained(stream: Transform): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      stream.off("error", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
    stream.on("error", done);
  });
}
