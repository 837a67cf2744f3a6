// Runs the build's stages one after the other, timing each and wrapping a
// failure with the stage's name, as apko's buildImage does.

import { inStage } from "../errors.ts";

export interface StageTiming {
  stage: string;
  ms: number;
}

export class StageRunner {
  readonly timings: StageTiming[] = [];

  async run<T>(stage: string, work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } catch (err) {
      throw inStage(stage, err);
    } finally {
      this.timings.push({ stage, ms: Math.round(performance.now() - start) });
    }
  }
}
