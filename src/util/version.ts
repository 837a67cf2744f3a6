// cudaseal's own version, from the package.json it ships with, for records
// that name their builder (provenance).

import { readFileSync } from "node:fs";

let cached: string | undefined;

/** The `version` of cudaseal's package.json. */
export function cudasealVersion(): string {
  if (cached === undefined) {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version?: string;
    };
    cached = pkg.version ?? "0.0.0";
  }
  return cached;
}
