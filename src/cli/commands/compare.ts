// `cudaseal compare`: two images side by side — sizes, layers, packages,
// setuid files, shells, package managers, user, CVEs and CUDA libraries.

import { compareImages, compareJson, compareMarkdown, compareTable } from "../../compare/index.ts";
import { CudasealError } from "../../errors.ts";
import { type Command, stringFlag } from "../command.ts";

export const compareCommand: Command = {
  name: "compare",
  help: `Usage: cudaseal compare IMAGE_A IMAGE_B [options]

Reads both images (oci:DIR[:TAG], oci-archive:FILE[:TAG] or
docker-archive:FILE[:NAME:TAG]) and prints, for each: the compressed size
(the layers as stored), the uncompressed size (the files of the final file
system), layers, installed packages, files, setuid/setgid files, shells and
package managers present, the user it runs as, and the CUDA and NVIDIA
library packages with their versions. With --db, also its known
vulnerabilities by severity, matched as 'cudaseal scan' matches them.

Options:
  --db FILE_OR_DIR        a vulnerability database, as 'cudaseal scan' takes
  --arch ARCH             which platform of multi-platform images (default: this machine's)
  --format FORMAT         table, json or markdown (default: table; --json is json)

Examples:
  cudaseal compare docker-archive:nvidia-cuda.tar oci:out/cuda-base
  cudaseal compare oci:old oci:new --db debian-tracker.json --format markdown >> report.md`,
  flags: {
    db: { type: "string" },
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
    const stats = await compareImages(positionals, {
      db: stringFlag(flags, "db"),
      arch: stringFlag(flags, "arch"),
    });
    if (format === "json") out.jsonData(compareJson(stats));
    else out.data(format === "markdown" ? compareMarkdown(stats) : compareTable(stats));
    return 0;
  },
};
