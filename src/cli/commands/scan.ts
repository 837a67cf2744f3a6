// `cudaseal scan`: the known vulnerabilities of an image's Debian packages,
// from a local copy of the Debian Security Tracker's data or OSV records.

import { CudasealError } from "../../errors.ts";
import type { Severity } from "../../scan/advisory.ts";
import { findingsTable, gateFailures, scanJson } from "../../scan/report.ts";
import { scanSarif } from "../../scan/sarif.ts";
import { scanImage } from "../../scan/scan-image.ts";
import { type Command, stringFlag } from "../command.ts";

const GATES = ["critical", "high", "medium", "low"] as const;

export const scanCommand: Command = {
  name: "scan",
  summary: "List the known vulnerabilities of an image's Debian packages, from a local database",
  help: `Usage: cudaseal scan IMAGE --db FILE_OR_DIR [options]

Reads the image's dpkg database and os-release (IMAGE is oci:DIR[:TAG],
oci-archive:FILE[:TAG] or docker-archive:FILE[:NAME:TAG]) and matches every
installed package, by its source package and version, against the database
for the image's Debian release. A finding's status is 'fixed' (a newer
version fixes it), 'open' (no fix yet) or 'wont-fix' (Debian will not fix it
in this release). Versions compare exactly as dpkg compares them.

The database is the Debian Security Tracker's JSON export, an OSV record, a
JSON array of OSV records, or a directory of OSV .json records. Downloading
it is not built in yet: fetch it yourself and pass --db.

Options:
  --db FILE_OR_DIR        the vulnerability database (required)
  --arch ARCH             which platform of a multi-platform image (default: this machine's)
  --release CODENAME      the Debian release (default: from the image's os-release)
  --format FORMAT         table, json or sarif (SARIF 2.1.0, for code scanning)
                          (default: table; --json is json)
  --fail-on SEVERITY      exit 1 when a finding is this severe or worse:
                          critical, high, medium or low (unknown never fails)
  --only-fixed            with --fail-on, count only findings a fix exists for

Exit status: 0 when the gate passes (or there is none), 1 when it fails.

Examples:
  cudaseal scan oci:out/cuda-base --db debian-tracker.json
  cudaseal scan oci:out/cuda-base --db osv/ --fail-on high --only-fixed
  cudaseal scan docker-archive:vendor.tar --db debian-tracker.json --format json > findings.json
  cudaseal scan oci:out/cuda-base --db osv/ --format sarif > cudaseal.sarif`,
  flags: {
    db: { type: "string" },
    arch: { type: "string" },
    release: { type: "string" },
    format: { type: "string" },
    "fail-on": { type: "string" },
    "only-fixed": { type: "boolean" },
  },
  async run(positionals, flags, out) {
    const ref = positionals[0];
    if (ref === undefined || positionals.length > 1) {
      throw new CudasealError("USAGE", "name one image to scan", {
        hint: "cudaseal scan oci:out/cuda-base --db debian-tracker.json",
      });
    }
    const db = stringFlag(flags, "db");
    if (db === undefined) {
      throw new CudasealError(
        "USAGE",
        "downloading the Debian Security Tracker data is not implemented yet",
        {
          hint: "download its JSON export (or OSV records) yourself and pass --db FILE_OR_DIR",
        },
      );
    }
    const format = stringFlag(flags, "format") ?? (out.json ? "json" : "table");
    if (format !== "table" && format !== "json" && format !== "sarif") {
      throw new CudasealError("USAGE", `unknown format: ${format}`, { hint: "use table, json or sarif" });
    }
    const failOn = stringFlag(flags, "fail-on");
    if (failOn !== undefined && !(GATES as readonly string[]).includes(failOn)) {
      throw new CudasealError("USAGE", `unknown severity for --fail-on: ${failOn}`, {
        hint: `use one of ${GATES.join(", ")}`,
      });
    }
    const result = await scanImage(ref, {
      db,
      arch: stringFlag(flags, "arch"),
      release: stringFlag(flags, "release"),
    });
    if (format === "json") out.jsonData(scanJson(result));
    else if (format === "sarif") out.jsonData(scanSarif(result));
    else if (result.findings.length > 0) out.data(findingsTable(result.findings));
    out.note(`${result.findings.length} findings in ${result.packages} packages (Debian ${result.release})`);
    if (failOn === undefined) return 0;
    const failures = gateFailures(result.findings, failOn as Severity, flags["only-fixed"] === true);
    if (failures.length === 0) return 0;
    process.stderr.write(
      `scan failed: ${failures.length} ${flags["only-fixed"] === true ? "fixable " : ""}findings of severity ${failOn} or worse\n`,
    );
    return 1;
  },
};
