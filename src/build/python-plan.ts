// The `python` stage: for each architecture built, the image's interpreter
// (from its locked Debian packages), the Python lock read for it (groups,
// extras and markers applied), and the wheel chosen for every package.
// Pure planning: nothing is downloaded but index pages, nothing installed.

import { createHash } from "node:crypto";
import { basename } from "node:path";
import type { LockedPackage } from "../apt/types.ts";
import type { ContentStore } from "../cache/content-store.ts";
import { CudasealError } from "../errors.ts";
import type { FetchedWheel, FetchWheelsOptions } from "../fetch/wheel-fetcher.ts";
import type { ProvenancePython } from "../provenance/slsa-provenance.ts";
import { authHeaders, planPython, readPythonLock } from "../python/index.ts";
import type { Spec } from "../spec/types.ts";
import { noProgress, type ProgressSink } from "../util/progress.ts";
import { readRegularFile } from "../util/read-regular-file.ts";
import { imagePython } from "./python-interpreter.ts";
import type { PythonPlatform } from "./python-layers.ts";

export interface PythonPlanOptions {
  signal?: AbortSignal;
  onNote?: (note: string) => void;
}

/** Each architecture's interpreter and wheels, by architecture; empty when the spec has no `python:`. */
export async function planPythonPlatforms(
  spec: Spec,
  locked: readonly { arch: string; packages: LockedPackage[] }[],
  options: PythonPlanOptions = {},
): Promise<Map<string, PythonPlatform>> {
  const out = new Map<string, PythonPlatform>();
  const python = spec.python;
  if (!python) return out;
  for (const { arch, packages } of locked) {
    const interpreter = imagePython(packages, arch);
    const lock = await readPythonLock(python.lock, {
      groups: python.groups,
      extras: python.extras,
      interpreter,
    });
    const wheels = await planPython(lock, interpreter, {
      index: python.index,
      extraIndex: python.extraIndex,
      signal: options.signal,
    });
    const seen = new Set<string>();
    for (const w of wheels) {
      if (seen.has(w.name))
        throw new CudasealError("PY_LOCK_INVALID", `${python.lock} pins ${w.name} twice for ${arch}`, {
          details: { arch, name: w.name },
        });
      seen.add(w.name);
    }
    // The indexes whose credentials a wheel's download may carry (same origin only).
    const indexes = [python.index, ...(lock.indexes ?? []), ...(python.extraIndex ?? [])].filter(
      (i): i is string => i !== undefined,
    );
    out.set(arch, { interpreter, lockFormat: lock.format, wheels, indexes });
  }
  return out;
}

/** How the wheels are fetched: into `store`, with an index's credentials sent to its own origin only. */
export function wheelFetchOptions(
  store: ContentStore,
  python: Map<string, PythonPlatform>,
  options: { onProgress?: ProgressSink; signal?: AbortSignal },
): FetchWheelsOptions {
  const indexes = [...new Set([...python.values()].flatMap((p) => p.indexes))];
  return {
    store,
    onProgress: options.onProgress ?? noProgress,
    signal: options.signal,
    headers: (url) => authHeaders(url, { indexes }),
  };
}

/** A lock larger than this is no lock (the readers refuse it too). */
const MAX_LOCK_BYTES = 64 * 1024 * 1024;

/** What provenance records of `python:`: the lock, by its file name and digest, and every wheel installed. */
export async function pythonProvenance(
  spec: Spec,
  python: Map<string, PythonPlatform>,
): Promise<ProvenancePython | undefined> {
  if (!spec.python) return undefined;
  const text = await readRegularFile(spec.python.lock, { what: "Python lock", max: MAX_LOCK_BYTES });
  return {
    lock: { name: basename(spec.python.lock), sha256: createHash("sha256").update(text).digest("hex") },
    wheels: [...python.values()].flatMap((p) => p.wheels),
  };
}

/** `python` with every wheel's size as fetched, for a lock that gave none. */
export function withFetchedSizes(
  python: Map<string, PythonPlatform>,
  fetched: readonly FetchedWheel[],
): Map<string, PythonPlatform> {
  const sizes = new Map(fetched.map((f) => [f.wheel.sha256, f.wheel.size]));
  return new Map(
    [...python].map(([arch, p]) => [
      arch,
      { ...p, wheels: p.wheels.map((w) => ({ ...w, size: w.size ?? sizes.get(w.sha256) })) },
    ]),
  );
}
