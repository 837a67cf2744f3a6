// The spec files a build read, named as the user wrote them rather than by
// where they lie on this machine, so provenance does not depend on the
// checkout's path: the spec as given, its includes relative to it.

import { dirname, relative } from "node:path";
import { MAX_SPEC_BYTES } from "../spec/load.ts";
import { readRegularFileSync } from "../util/read-regular-file.ts";
import type { ProvenanceSpecFile } from "./slsa-provenance.ts";

/** `files` (from loadSpec, the spec first) with their text; `ref` is the spec as given. */
export function readSpecFiles(ref: string, files: readonly string[]): ProvenanceSpecFile[] {
  const base = files.length > 0 ? dirname(files[0]) : ".";
  return files.map((file, i) => ({
    name: i === 0 ? ref : relative(base, file),
    // Read a second time, so under the same checks as when the spec was loaded.
    content: readRegularFileSync(file, { what: "spec", max: MAX_SPEC_BYTES }).toString("utf8"),
  }));
}
