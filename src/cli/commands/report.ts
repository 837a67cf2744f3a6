// `cudaseal report`: one image, or two side by side, as a self-contained
// HTML page (or Markdown, or the JSON both are made from), written whole or
// not at all.

import { CudasealError } from "../../errors.ts";
import { gatherReport, reportHtml, reportMarkdown } from "../../report/index.ts";
import { writeOutputFile } from "../../util/atomic-file.ts";
import { type Command, stringFlag } from "../command.ts";
import {
  DATABASE_FLAGS,
  DATABASE_FLAGS_HELP,
  DEFAULT_MAX_DB_AGE,
  databaseOptionsFrom,
  wantsCves,
  withNoCvesHint,
} from "../database-options.ts";

const FORMATS = ["html", "markdown", "json"] as const;

export const reportCommand: Command = {
  name: "report",
  help: `Usage: cudaseal report IMAGE [--compare IMAGE2] [options] -o report.html

Reads the image (oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE
or a registry reference) and writes one self-contained HTML page: no network
requests, no external fonts or scripts, readable from file:// or as a CI
artifact, on a phone or a desktop, light or dark, with the keyboard. Its views:

  Summary          sizes, packages, files, CUDA version and the driver it needs,
                   user, CVEs by severity (fixed/open), audit findings by
                   severity, signatures and attestations beside the image
  Composition      a zoomable treemap of the file system, layer > package >
                   folder > file; each layer with what it added; CUDA
                   libraries highlighted
  Vulnerabilities  a table to filter and sort, linking each advisory
  Audit & lint     every audit finding with its fix, and --lint's
  Licences         packages and bytes per licence
  Compare          with --compare: both images' sizes as bars, packages
                   added/removed/changed, the CVE delta and the hardening
                   checklist (non-root user, no shell, no package manager,
                   no setuid files)

CVEs are matched as 'cudaseal scan' matches them, from the same data (the
Debian Security Tracker's feed, cached; or --db); --no-cves skips them and
never touches the network. The audit is 'cudaseal audit''s, with --policy.
Signatures are counted, not verified: 'cudaseal verify --key' does that.

Options:
  -o, --output FILE       where to write the report (default: stdout, except
                          HTML to a terminal)
  --format FORMAT         html, markdown (a summary under GitHub's 65,536
                          characters, for a pull request or $GITHUB_STEP_SUMMARY)
                          or json (default: html; --json is json)
  --compare IMAGE2        put IMAGE beside IMAGE2 (say, the vendor's nvidia/cuda)
  --policy FILE           the audit policy file
  --lint DOCKERFILE       lint a Dockerfile and show its findings too
  --no-cves               do not match vulnerabilities (no data is read)
  --arch ARCH             which platform of multi-platform images (default: this machine's)
${DATABASE_FLAGS_HELP}

Errors: SCAN_DB_STALE (data older than --max-db-age, default ${DEFAULT_MAX_DB_AGE}),
SCAN_DB_MISSING (--offline with nothing cached), FETCH_FAILED (no data could
be downloaded and none is cached): add --no-cves to report without CVEs.

Examples:
  cudaseal report oci:out/cuda-runtime -o report.html
  cudaseal report oci:out/cuda-runtime --compare docker-archive:nvidia-cuda.tar -o compare.html
  cudaseal report oci:out/cuda-runtime --offline --format markdown >> "$GITHUB_STEP_SUMMARY"
  cudaseal report oci:out/cuda-runtime --no-cves --lint Dockerfile --json > report.json`,
  flags: {
    ...DATABASE_FLAGS,
    output: { type: "string", short: "o" },
    format: { type: "string" },
    compare: { type: "string" },
    policy: { type: "string" },
    lint: { type: "string" },
    "no-cves": { type: "boolean" },
    arch: { type: "string" },
  },
  async run(positionals, flags, out) {
    const ref = positionals[0];
    if (ref === undefined || positionals.length > 1) {
      throw new CudasealError("USAGE", "name one image to report on (and --compare another)", {
        hint: "cudaseal report oci:out/cuda-runtime -o report.html",
      });
    }
    const format = stringFlag(flags, "format") ?? (out.json ? "json" : "html");
    if (!(FORMATS as readonly string[]).includes(format)) {
      throw new CudasealError("USAGE", `unknown format: ${format}`, { hint: `use ${FORMATS.join(", ")}` });
    }
    const output = stringFlag(flags, "output");
    if (format === "html" && output === undefined && process.stdout.isTTY) {
      throw new CudasealError("USAGE", "an HTML report goes to a file, not the terminal", {
        hint: `cudaseal report ${ref} -o report.html`,
      });
    }
    const cves = wantsCves(flags, "match CVEs");
    const data = await gatherReport(ref, {
      compare: stringFlag(flags, "compare"),
      database: cves ? databaseOptionsFrom(flags) : undefined,
      policy: stringFlag(flags, "policy"),
      lint: stringFlag(flags, "lint"),
      arch: stringFlag(flags, "arch"),
    }).catch((err: unknown) => {
      throw withNoCvesHint(err, "or report without CVEs: --no-cves");
    });
    for (const warning of data.warnings) out.warn(warning);
    const text =
      format === "json"
        ? `${JSON.stringify(data, null, 2)}\n`
        : format === "markdown"
          ? `${reportMarkdown(data)}\n`
          : await reportHtml(data);
    if (output === undefined) process.stdout.write(text);
    else {
      await writeOutputFile(output, text);
      out.note(`wrote ${output} (${format}, ${Buffer.byteLength(text)} bytes)`);
    }
    return 0;
  },
};
