// The spec files a build read, named as the user wrote them rather than by
// where they lie on this machine, so provenance does not depend on the
// checkout's path: the spec as given, its includes relative to it.

import { readFileSync } from "node:fs";
import { dirname, relative } from "node:path";
import type { ProvenanceSpecFile } from "./slsa-provenance.ts";

/** `files` (from loadSpec, the spec first) with their text; `ref` is the spec as given. */
export function readSpecFiles(ref: string, files: readonly string[]): ProvenanceSpecFile[] {
  const base = files.length > 0 ? dirname(files[0]) : ".";
  return files.map((file, i) => ({
    name: i === 0 ? ref : relative(base, file),
    content: readFileSync(file, "utf8"),
  }));
}
