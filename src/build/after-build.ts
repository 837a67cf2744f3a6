// What a build does, when asked, once its image is written: the lock it used
// and its SLSA provenance, each a file written whole or not at all, then a
// push of the written image to a registry. They run after the write, so a
// failure in one leaves the image as written and the steps after it undone.

import { type CopySummary, copyImage } from "../copy/copy-image.ts";
import type { Compression } from "../layer/blob-writer.ts";
import { type ProvenancePython, provenanceText, type SpecOverrides } from "../provenance/slsa-provenance.ts";
import { readSpecFiles } from "../provenance/spec-files.ts";
import type { RegistryClientOptions } from "../registry/index.ts";
import { type Lock, serializeLock } from "../resolve/index.ts";
import type { ImageRef } from "../source/image-ref.ts";
import { writeFileAtomic } from "../util/atomic-file.ts";
import type { ProgressSink } from "../util/progress.ts";
import { cudasealVersion } from "../util/version.ts";

/** Where to write the build's provenance, and the spec it names. */
export interface ProvenanceRequest {
  path: string;
  /** The spec as given (`app.yaml`, `preset:cuda-runtime`). */
  spec: string;
  /** The files loadSpec read, the spec first. */
  specFiles: readonly string[];
  /** The spec's fields the command line set instead (--cuda, --annotation). */
  overrides?: SpecOverrides;
}

/** The registry to push the written image to. */
export interface PushRequest {
  to: ImageRef;
  registry?: RegistryClientOptions;
}

/** What provenance records of the build besides the lock. */
export interface ProvenanceFacts {
  archs: readonly string[];
  compression: Compression;
  sourceDateEpoch?: number;
  /** The image's created time. */
  created: string;
  /** With `python:`, its lock and wheels. */
  python?: ProvenancePython;
}

/** lock: the lock the build used, to `path`. */
export async function writeLockFile(path: string, lock: Lock): Promise<void> {
  await writeFileAtomic(path, serializeLock(lock));
}

/** provenance: the SLSA v1 predicate of the build, to `request.path`. */
export async function writeProvenance(
  request: ProvenanceRequest,
  lock: Lock,
  facts: ProvenanceFacts,
): Promise<void> {
  const text = provenanceText({
    version: cudasealVersion(),
    spec: request.spec,
    specFiles: readSpecFiles(request.spec, request.specFiles),
    specOverrides: request.overrides,
    lock,
    archs: facts.archs,
    compression: facts.compression,
    sourceDateEpoch: facts.sourceDateEpoch,
    created: facts.created,
    python: facts.python,
  });
  await writeFileAtomic(request.path, text);
}

/**
 * push: the written image, `from`, to the registry; layers a cache
 * repository of that registry holds (`mountFrom`) are mounted, not sent.
 */
export function pushImage(
  from: ImageRef,
  request: PushRequest,
  progress?: ProgressSink,
  mountFrom?: readonly string[],
): Promise<CopySummary> {
  return copyImage(from, request.to, { registry: request.registry, progress, mountFrom });
}
