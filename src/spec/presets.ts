// The specs shipped with cudaseal, listed from the presets folder.

import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadSpec } from "./load.ts";
import type { Spec } from "./types.ts";

const PRESET_DIR = fileURLToPath(new URL("../../presets/", import.meta.url));

/** The preset built when `cudaseal build` is given nothing. */
export const DEFAULT_PRESET = "cuda-base";

export interface PresetInfo {
  name: string;
  description: string;
  archs: string[];
  /** Packages the preset asks for (dependencies come on top). */
  packages: string[];
  dev: boolean;
  spec: Spec;
}

export function listPresets(): PresetInfo[] {
  return readdirSync(PRESET_DIR)
    .filter((f) => f.endsWith(".yaml") && !f.startsWith("_"))
    .map((f) => f.slice(0, -".yaml".length))
    .sort()
    .map((name) => {
      const { spec } = loadSpec(`preset:${name}`);
      return {
        name,
        description: spec.description ?? "",
        archs: spec.archs ?? [],
        packages: spec.packages ?? [],
        dev: name.endsWith("-dev"),
        spec,
      };
    });
}
