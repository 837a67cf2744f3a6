// The cudaseal side of the wheel benchmark (bench/wheels.ts times it from
// outside): installs wheels into compressed layer blobs as a build does —
// every wheel inspected and checked for conflicts first, each large wheel a
// layer of its own and the small ones grouped, the layers written
// concurrently with compression in the thread pool, gzip at the build's
// default level, or with --copy by writeWheelLayerBlob, which copies the
// wheels' deflate streams instead of compressing again. Prints one JSON
// line describing the blobs.
//
//   node bench/wheel-install.ts [--copy] OUT_DIR WHEEL...

import { stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { DEFAULT_COMPRESSION, writeBlob } from "../src/layer/blob-writer.ts";
import { layerTar } from "../src/layer/layer-tar.ts";
import {
  checkWheelConflicts,
  emptyWheelMeta,
  inspectWheel,
  schemeFor,
  wheelLayerEntries,
  writeWheelLayerBlob,
} from "../src/python/index.ts";

/** Wheels at least this large get a layer each (as torch and nvidia-* do in a build). */
const OWN_LAYER_BYTES = 64 * 1024 * 1024;

const args = process.argv.slice(2);
const copy = args[0] === "--copy";
const [out, ...paths] = copy ? args.slice(1) : args;
if (!out || paths.length === 0) {
  process.stderr.write("usage: node bench/wheel-install.ts OUT_DIR WHEEL...\n");
  process.exit(2);
}
const scheme = schemeFor({ kind: "system" }, [3, 13], "/usr/bin/python3");
const wheels = await Promise.all(
  paths.map(async (path) => ({ path, filename: basename(path), size: (await stat(path)).size })),
);
checkWheelConflicts(await Promise.all(wheels.map((w) => inspectWheel(w, scheme))));
const big = wheels.filter((w) => w.size >= OWN_LAYER_BYTES);
const small = wheels.filter((w) => w.size < OWN_LAYER_BYTES);
const groups = [...big.map((w) => [w]), ...(small.length ? [small] : [])];
const blobs = await Promise.all(
  groups.map((group, i) => {
    const entries = wheelLayerEntries(group, { scheme, mtime: 1700000000 }, emptyWheelMeta());
    const path = join(out, `layer-${i}.tar.gz`);
    return copy
      ? writeWheelLayerBlob(entries, path, DEFAULT_COMPRESSION.level)
      : writeBlob(layerTar(entries), path, DEFAULT_COMPRESSION);
  }),
);
process.stdout.write(
  `${JSON.stringify({ layers: blobs.map((b) => ({ size: b.size, uncompressedSize: b.uncompressedSize, digest: b.digest })) })}\n`,
);
