// One pass over an image's layers, in order, each decompressed and read
// entry by entry exactly once; nothing is extracted and no layer is held in
// memory. Each entry is checked as it passes (entry-walker.ts); a layer that
// cannot be read to its end is a finding, and the walk goes on.

import { isCudasealError } from "../errors.ts";
import type { Finding } from "../findings/index.ts";
import { decompressSniffed } from "../source/filesystem.ts";
import type { OpenedImage, SourceLayer } from "../source/image-source.ts";
import { readTar } from "../tar/reader.ts";
import type { ProgressSink } from "../util/progress.ts";
import { type CudartFacts, EntryWalker } from "./entry-walker.ts";
import { finding } from "./rules.ts";

export interface WalkOptions {
  /** Largest body searched for secrets, bytes (default 1 MiB). */
  maxScanSize?: number;
  /** Names the image in errors. */
  origin?: string;
  progress?: ProgressSink;
}

/** What the walk learnt about the image's files. */
export interface WalkResult {
  findings: Finding[];
  /** The CUDA runtime in the final file system: present at all, and the newest version a file name carries. */
  cudart: CudartFacts;
  /** Whether the final file system has a package database. */
  packageDatabase: boolean;
  /** Python distributions no OS package owns; undefined when their records were too many to keep. */
  pythonPackages?: number;
  stats: {
    layers: number;
    entries: number;
    uncompressedBytes: number;
    scannedFiles: number;
    scannedBytes: number;
  };
}

const DEFAULT_MAX_SCAN = 1024 * 1024;

/** Walk every layer of `image` once and check every entry. */
export async function walkLayers(image: OpenedImage, options: WalkOptions = {}): Promise<WalkResult> {
  const origin = options.origin ?? image.manifestDigest;
  const progress = options.progress ?? (() => {});
  const walker = new EntryWalker(options.maxScanSize ?? DEFAULT_MAX_SCAN);
  const unreadable: Finding[] = [];
  let uncompressedBytes = 0;

  const total = image.layers.reduce((n, l) => n + l.size, 0);
  progress({ task: "audit", kind: "start", unit: "bytes", total, totalItems: image.layers.length });
  for (const [i, layer] of image.layers.entries()) {
    const where = `${origin} layer ${i} (${layer.digest})`;
    const counted = countBytes(layer.open(), (n) => progress({ task: "audit", kind: "advance", delta: n }));
    const tar = readTar(
      countBytes(decompressSniffed(counted, where), (n) => {
        uncompressedBytes += n;
      }),
      { origin: where, skipSpecial: true, unchecked: true },
    );
    try {
      for await (const e of tar) await walker.entry(e, i);
    } catch (err) {
      unreadable.push(unreadableLayer(err, i, layer));
    }
    progress({ task: "audit", kind: "advance", items: 1 });
  }
  progress({ task: "audit", kind: "end" });

  const pythonPackages = walker.pythonPackages();
  return {
    findings: [...unreadable, ...walker.findings()],
    cudart: walker.cudart(),
    packageDatabase: walker.packageDatabase(),
    ...(pythonPackages === undefined ? {} : { pythonPackages }),
    stats: {
      layers: image.layers.length,
      entries: walker.counts.entries,
      uncompressedBytes,
      scannedFiles: walker.counts.scannedFiles,
      scannedBytes: walker.counts.scannedBytes,
    },
  };
}

// A layer that stops half way (truncated, corrupt, over a cap, not its digest) is
// reported and the walk goes on: what was read is still evidence, and later layers
// can still be audited. Anything but a coded error is a bug, thrown on.
function unreadableLayer(err: unknown, i: number, layer: SourceLayer): Finding {
  if (!isCudasealError(err)) throw err;
  return finding(
    "CS-LAYER-UNREADABLE",
    { layer: i, field: `layers[${i}]` },
    `layer ${i} (${layer.digest}) could not be read to its end [${err.code}]: ${err.message}`,
  );
}

async function* countBytes<T extends Uint8Array>(
  source: AsyncIterable<T>,
  add: (n: number) => void,
): AsyncGenerator<T> {
  for await (const chunk of source) {
    add(chunk.length);
    yield chunk;
  }
}
