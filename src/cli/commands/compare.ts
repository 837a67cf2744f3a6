// `cudaseal compare`: two images side by side — sizes, layers, packages,
// setuid files, shells, package managers, user, CVEs and CUDA libraries.

import { compareImages, compareJson, compareMarkdown, compareTable } from "../../compare/index.ts";
import { CudasealError } from "../../errors.ts";
import { formatDuration } from "../../scan/index.ts";
import { type Command, stringFlag } from "../command.ts";
import {
  DATABASE_FLAGS,
  DATABASE_FLAGS_HELP,
  DEFAULT_MAX_DB_AGE,
  databaseOptionsFrom,
  wantsCves,
  withNoCvesHint,
} from "../database-options.ts";

export const compareCommand: Command = {
  name: "compare",
  help: `Usage: cudaseal compare IMAGE_A IMAGE_B [options]

Reads both images (oci:DIR[:TAG], oci-archive:FILE[:TAG] or
docker-archive:FILE[:NAME:TAG]) and prints, for each: the compressed size
(the layers as stored), the uncompressed size (the files of the final file
system), layers, installed packages, files, setuid/setgid files, shells and
package managers present, the user it runs as, its known vulnerabilities by
severity, and its CUDA library packages (by source package or the CUDA
libraries they ship), listed with their versions in a section of their own.
The table is wrapped to the terminal (100 columns when piped); --format
markdown is a summary for a pull request or $GITHUB_STEP_SUMMARY.

Vulnerabilities are counted by default, matched as 'cudaseal scan' matches
them and from the same data: the Debian Security Tracker's feed, downloaded
into the cache dir and refreshed once for both images (data older than
--max-db-age, default ${DEFAULT_MAX_DB_AGE}, is refused), or a local --db. Both images are
matched against the same copy. An image whose Debian release is unknown
(no os-release, or not Debian) shows 'unknown release'; when neither is
Debian, no data is fetched. --no-cves leaves the count out and never
touches the network. VEX and ignore files are scan's business: compare
counts every finding.

Options:
${DATABASE_FLAGS_HELP}
  --no-cves               do not count vulnerabilities (no data is read)
  --arch ARCH             which platform of multi-platform images (default: this machine's)
  --format FORMAT         table, json or markdown (default: table; --json is json)

Errors: SCAN_DB_STALE (data too old), SCAN_DB_MISSING (--offline with
nothing cached), FETCH_FAILED (no data could be downloaded and none is cached).

Examples:
  cudaseal compare docker-archive:nvidia-cuda.tar oci:out/cuda-base
  cudaseal compare oci:old oci:new --offline --format markdown >> report.md
  cudaseal compare oci:old oci:new --db debian-tracker.json --format json
  cudaseal compare oci:old oci:new --no-cves`,
  flags: {
    ...DATABASE_FLAGS,
    "no-cves": { type: "boolean" },
    arch: { type: "string" },
    format: { type: "string" },
  },
  async run(positionals, flags, out) {
    if (positionals.length !== 2) {
      throw new CudasealError("USAGE", "name two images to compare", {
        hint: "cudaseal compare docker-archive:vendor.tar oci:out/cuda-base",
      });
    }
    const format = stringFlag(flags, "format") ?? (out.json ? "json" : "table");
    if (format !== "table" && format !== "json" && format !== "markdown") {
      throw new CudasealError("USAGE", `unknown format: ${format}`, { hint: "use table, json or markdown" });
    }
    const cves = wantsCves(flags, "count CVEs");
    const comparison = await compareImages(positionals, {
      database: cves ? databaseOptionsFrom(flags) : undefined,
      arch: stringFlag(flags, "arch"),
    }).catch((err: unknown) => {
      throw withNoCvesHint(err, "or compare without CVE counts: --no-cves");
    });
    for (const warning of comparison.warnings) out.warn(warning);
    const db = comparison.database;
    if (db !== undefined) {
      const age = db.ageSeconds === undefined ? "" : `, ${formatDuration(db.ageSeconds * 1000)} old`;
      out.note(`CVEs counted against ${db.format} from ${db.source}${age}`);
    }
    const stats = comparison.images;
    if (format === "json") out.jsonData(compareJson(stats, comparison.database));
    else if (format === "markdown") out.data(compareMarkdown(stats, { database: comparison.database }));
    // Wrapped to the terminal; piped or redirected, to a width a review tool shows whole.
    else out.data(compareTable(stats, { width: process.stdout.isTTY ? process.stdout.columns : undefined }));
    return 0;
  },
};
