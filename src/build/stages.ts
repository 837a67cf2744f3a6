// Runs the build's stages one after the other, timing each and wrapping a
// failure with the stage's name, as apko's buildImage does. A stage that
// writes names the folder it fills, so that a full disk anywhere inside it
// is reported as DISK_FULL about that folder rather than as a bug.

import { inStage } from "../errors.ts";
import { asDiskFull, type WrittenFolder } from "../util/disk-full.ts";
import { noProgress, type ProgressSink } from "../util/progress.ts";

export interface StageTiming {
  stage: string;
  ms: number;
}

/** The folder a stage writes: the cache, or the output. */
export interface StageWrites {
  folder: WrittenFolder;
  path: string;
}

export class StageRunner {
  readonly timings: StageTiming[] = [];
  readonly #onProgress: ProgressSink;

  /** `onProgress` hears each stage start and end, so a log can say which one runs. */
  constructor(onProgress: ProgressSink = noProgress) {
    this.#onProgress = onProgress;
  }

  async run<T>(stage: string, work: () => Promise<T>, writes?: StageWrites): Promise<T> {
    const start = performance.now();
    this.#onProgress({ task: stage, kind: "start", stage: true });
    try {
      return await work();
    } catch (err) {
      throw inStage(stage, writes === undefined ? err : asDiskFull(err, writes.folder, writes.path));
    } finally {
      this.#onProgress({ task: stage, kind: "end", stage: true });
      this.timings.push({ stage, ms: Math.round(performance.now() - start) });
    }
  }
}
