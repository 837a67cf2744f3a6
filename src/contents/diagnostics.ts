// `diagnostics: true`: the static entrypoint wrapper native/cudaseal-entry.c,
// compiled for the image's architecture (src/native, cached), added to the
// contents layer at DIAGNOSTICS_PATH and put in front of the Entrypoint by
// the runtime config. It is a contents item like any other, so the layer
// key, the SBOM and the path policy treat it as the user's own file.

import { staticBinary } from "../native/static-binary.ts";
import type { SpecContent } from "../spec/types.ts";

/** Where the wrapper lives in the image: on the default PATH, root-owned. */
export const DIAGNOSTICS_PATH = "/usr/local/bin/cudaseal-entry";

/** The contents item that adds the wrapper compiled for `arch`. */
export async function diagnosticsContent(arch: string, cacheDir: string): Promise<SpecContent> {
  const source = await staticBinary("cudaseal-entry", { arch, cacheDir });
  return { source, destination: DIAGNOSTICS_PATH, mode: "0755", owner: "0:0" };
}

/** The Entrypoint with the wrapper in front: it execs its first argument with the rest unchanged. */
export function withDiagnostics(entrypoint: readonly string[] | undefined): string[] {
  return [DIAGNOSTICS_PATH, ...(entrypoint ?? [])];
}
