// `cudaseal scan`: the known vulnerabilities of an image's Debian packages,
// from the Debian Security Tracker's data (downloaded and cached) or a local
// database, less what VEX documents and an ignore file suppress.

import { CudasealError } from "../../errors.ts";
import {
  type Severity,
  scanFooter,
  scanGateFailures,
  scanImage,
  scanJson,
  scanMarkdown,
  scanSarif,
  scanTable,
} from "../../scan/index.ts";
import { type Command, stringFlag } from "../command.ts";
import {
  DATABASE_FLAGS,
  DATABASE_FLAGS_HELP,
  DEFAULT_MAX_DB_AGE,
  databaseOptionsFrom,
} from "../database-options.ts";

const GATES = ["critical", "high", "medium", "low"] as const;

export const scanCommand: Command = {
  name: "scan",
  help: `Usage: cudaseal scan IMAGE [options]

Reads the image's dpkg database and os-release (IMAGE is oci:DIR[:TAG],
oci-archive:FILE[:TAG] or docker-archive:FILE[:NAME:TAG]) and matches every
installed package, by its source package and version, against the
vulnerability data for the image's Debian release. A finding's status is
'fixed' (a newer version fixes it), 'open' (no fix yet) or 'wont-fix' (Debian
will not fix it in this release). Versions compare exactly as dpkg compares
them.

The data is the Debian Security Tracker's JSON export, downloaded into the
cache dir and refreshed with a conditional GET on every scan (an unchanged
feed costs one 304 reply). The scan refuses data older than --max-db-age
(default ${DEFAULT_MAX_DB_AGE}); when a refresh fails, a cached copy young enough is used
with a warning. After the first scan of a release, a compact cache of just
that release makes the next scans fast. --db FILE_OR_DIR uses a local
database instead: the tracker's JSON, an OSV record, a JSON array of OSV
records, or a directory of OSV .json records. OSV records of ecosystem PyPI
are matched against the image's Python distributions (its site-packages'
.dist-info and .egg-info), versions compared as PEP 440.

Options:
${DATABASE_FLAGS_HELP}
  --vex FILE              an OpenVEX (v0.2.0) document, repeatable: findings its
                          not_affected or fixed statements cover are suppressed
  --ignore-file FILE      a YAML list of findings to suppress, each with a reason
                          and an expiry date (see docs/scanning.md)
  --arch ARCH             which platform of a multi-platform image (default: this machine's)
  --release CODENAME      the Debian release (default: from the image's os-release)
  --format FORMAT         table, json, sarif (SARIF 2.1.0, for code scanning) or
                          markdown (a summary for a pull request or
                          $GITHUB_STEP_SUMMARY, under 65,536 characters)
                          (default: table; --json is json)
  --fail-on SEVERITY      exit 1 when a finding is this severe or worse:
                          critical, high, medium or low (unknown never fails)
  --only-fixed            with --fail-on, count only findings a fix exists for

Suppressed findings never count toward --fail-on; --format json lists them
with the reason, --format sarif keeps them as results marked suppressed (an
accepted external suppression saying why), the table's footer counts them.
A VEX product may name the platform manifest's digest or, for an image read
through a multi-platform index, the index's. Errors: SCAN_DB_STALE (data
too old), SCAN_DB_MISSING (--offline with nothing cached), VEX_INVALID,
IGNORE_FILE_INVALID.

Exit status: 0 when the gate passes (or there is none), 1 when it fails.

Examples:
  cudaseal scan oci:out/cuda-base
  cudaseal scan oci:out/cuda-base --fail-on high --only-fixed --vex cuda-base.vex.json
  cudaseal scan oci:out/cuda-base --offline --max-db-age 7d --ignore-file .cudaseal-ignore.yaml
  cudaseal scan docker-archive:vendor.tar --db debian-tracker.json --format json > findings.json
  cudaseal scan oci:out/cuda-base --db osv/ --format sarif > cudaseal.sarif
  cudaseal scan oci:out/cuda-base --format markdown >> "$GITHUB_STEP_SUMMARY"`,
  flags: {
    ...DATABASE_FLAGS,
    vex: { type: "string", multiple: true },
    "ignore-file": { type: "string" },
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
        hint: "cudaseal scan oci:out/cuda-base",
      });
    }
    const database = databaseOptionsFrom(flags);
    const format = stringFlag(flags, "format") ?? (out.json ? "json" : "table");
    if (format !== "table" && format !== "json" && format !== "sarif" && format !== "markdown") {
      throw new CudasealError("USAGE", `unknown format: ${format}`, {
        hint: "use table, json, sarif or markdown",
      });
    }
    const failOn = stringFlag(flags, "fail-on");
    if (failOn !== undefined && !(GATES as readonly string[]).includes(failOn)) {
      throw new CudasealError("USAGE", `unknown severity for --fail-on: ${failOn}`, {
        hint: `use one of ${GATES.join(", ")}`,
      });
    }
    const result = await scanImage(ref, {
      ...database,
      vex: Array.isArray(flags.vex) ? flags.vex : undefined,
      ignoreFile: stringFlag(flags, "ignore-file"),
      arch: stringFlag(flags, "arch"),
      release: stringFlag(flags, "release"),
    });
    for (const warning of result.warnings ?? []) out.warn(warning);
    if (format === "json") out.jsonData(scanJson(result));
    else if (format === "sarif") out.jsonData(scanSarif(result));
    else if (format === "markdown") out.data(scanMarkdown(result));
    else {
      if (result.findings.length > 0) out.data(scanTable(result.findings));
      const footer = scanFooter(result);
      if (footer !== "") out.data(result.findings.length > 0 ? `\n${footer}` : footer);
    }
    const suppressed = result.suppressed?.length ?? 0;
    out.note(
      `${result.findings.length} findings in ${result.packages} packages` +
        (result.pythonPackages ? ` and ${result.pythonPackages} Python distributions` : "") +
        ` (Debian ${result.release})` +
        (suppressed > 0 ? `, ${suppressed} suppressed` : ""),
    );
    if (failOn === undefined) return 0;
    const failures = scanGateFailures(result.findings, failOn as Severity, flags["only-fixed"] === true);
    if (failures.length === 0) return 0;
    process.stderr.write(
      `scan failed: ${failures.length} ${flags["only-fixed"] === true ? "fixable " : ""}findings of severity ${failOn} or worse\n`,
    );
    return 1;
  },
};
