// Brings the chosen Python wheels into the content store, as deb-fetcher.ts
// does for .debs: a miss is downloaded in a bounded pool and hashed as it is
// written; a hit of known size is only stat'ed here and hashed by
// verifiedWheel() just before a layer that needs it is written. No wheel is
// used before its SHA256 matches the lock (PY_HASH_MISMATCH otherwise).

import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import type { ContentStore } from "../cache/content-store.ts";
import { CudasealError, isCudasealError } from "../errors.ts";
import { downloadVerified } from "../http/index.ts";
import type { ChosenWheel } from "../python/index.ts";
import { mapPool } from "../util/pool.ts";
import { noProgress, type ProgressSink } from "../util/progress.ts";
import { regularFileStream } from "../util/read-regular-file.ts";

export interface FetchWheelsOptions {
  store: ContentStore;
  concurrency?: number;
  onProgress?: ProgressSink;
  signal?: AbortSignal;
  /** Request headers for a wheel's URL (an index's credentials); never printed. */
  headers?: (url: string) => Promise<Record<string, string>>;
}

export interface FetchedWheel {
  /** The wheel, its size filled in from the file where the lock gave none. */
  wheel: ChosenWheel;
  /** True when the bytes came from the network in this run. */
  downloaded: boolean;
}

/** A wheel larger than this is refused even when the lock gives no size. */
const MAX_WHEEL_BYTES = 16 * 1024 * 1024 * 1024;

/** Make every wheel available in the store; hits of known size are hashed later, by verifiedWheel(). */
export async function fetchWheels(
  wheels: readonly ChosenWheel[],
  options: FetchWheelsOptions,
): Promise<FetchedWheel[]> {
  if (wheels.length === 0) return [];
  const progress = options.onProgress ?? noProgress;
  const unique = [...new Map(wheels.map((w) => [w.sha256, w])).values()];
  const cached = await mapPool(unique, 4, (w) =>
    w.size !== undefined ? options.store.present(w.sha256, w.size) : options.store.lookup(w.sha256),
  );
  const missing = unique.filter((_, i) => cached[i] === undefined);
  const total = missing.reduce((n, w) => n + (w.size ?? 0), 0);
  progress({ task: "download wheels", kind: "start", unit: "bytes", total, totalItems: missing.length });
  await mapPool(missing, options.concurrency ?? 6, async (w) => {
    await download(w, options, (delta) => progress({ task: "download wheels", kind: "advance", delta }));
    progress({ task: "download wheels", kind: "advance", delta: 0, items: 1 });
  });
  progress({ task: "download wheels", kind: "end" });
  const fetched = new Set(missing.map((w) => w.sha256));
  return mapPool(wheels, 8, async (wheel) => ({
    // A lock without sizes (requirements.txt, some pylock.toml) still lays big wheels in layers of their own.
    wheel:
      wheel.size !== undefined
        ? wheel
        : { ...wheel, size: (await stat(options.store.path(wheel.sha256))).size },
    downloaded: fetched.has(wheel.sha256),
  }));
}

/** The wheel's file, hashed against the lock just before use; a corrupt cache entry is downloaded again. */
export async function verifiedWheel(wheel: ChosenWheel, options: FetchWheelsOptions): Promise<string> {
  return (await options.store.lookup(wheel.sha256, wheel.size)) ?? download(wheel, options);
}

async function download(
  wheel: ChosenWheel,
  options: FetchWheelsOptions,
  onBytes?: (n: number) => void,
): Promise<string> {
  const tmp = await options.store.tempPath(wheel.sha256);
  if (wheel.url.startsWith("file:")) {
    await copyVerified(wheel, tmp);
    return options.store.commit(tmp, wheel.sha256);
  }
  try {
    await downloadVerified(wheel.url, tmp, {
      sha256: wheel.sha256,
      size: wheel.size,
      maxBytes: wheel.size ?? MAX_WHEEL_BYTES,
      label: wheel.filename,
      signal: options.signal,
      headers: await options.headers?.(wheel.url),
      onBytes,
    });
  } catch (err) {
    // The index served other bytes than the lock pins: Python's own code for it.
    if (isCudasealError(err, "DEB_HASH_MISMATCH") || isCudasealError(err, "DEB_SIZE_MISMATCH")) {
      throw new CudasealError("PY_HASH_MISMATCH", `${wheel.filename} does not match the hash its lock pins`, {
        hint: "the index served a different file than the lock names; do not use it. If the lock is stale, lock again",
        cause: err,
        details: { wheel: wheel.filename, expected: wheel.sha256 },
      });
    }
    throw err;
  }
  return options.store.commit(tmp, wheel.sha256);
}

/** A wheel the lock names by a local path: copied while hashing, kept only when it matches. */
async function copyVerified(wheel: ChosenWheel, tmp: string): Promise<void> {
  const hash = createHash("sha256");
  let size = 0;
  try {
    const source = await regularFileStream(fileURLToPath(wheel.url), "wheel");
    source.on("data", (chunk: Buffer | string) => {
      hash.update(chunk);
      size += chunk.length;
    });
    await pipeline(source, createWriteStream(tmp, { flags: "wx", mode: 0o644 }));
    const sha256 = hash.digest("hex");
    if (sha256 !== wheel.sha256 || (wheel.size !== undefined && size !== wheel.size)) {
      throw new CudasealError("PY_HASH_MISMATCH", `${wheel.filename} does not match the hash its lock pins`, {
        hint: "the file changed since the lock was made; lock again if the change is meant",
        details: { wheel: wheel.filename, expected: wheel.sha256, actual: sha256 },
      });
    }
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
