// `cudaseal audit`: CIS Docker Benchmark / NIST SP 800-190 checks and secrets
// in every layer of any image, with a policy file and a CI gate.

import { auditImage, auditMarkdown } from "../../audit/index.ts";
import { CudasealError } from "../../errors.ts";
import {
  findingsJson,
  findingsSarif,
  findingsTable,
  gateFailures,
  parseFailOn,
  severityCounts,
} from "../../findings/index.ts";
import { type Command, stringFlag } from "../command.ts";

export const auditCommand: Command = {
  name: "audit",
  help: `Usage: cudaseal audit IMAGE [options]

Reads the image (IMAGE is oci:DIR[:TAG], oci-archive:FILE[:TAG] or
docker-archive:FILE[:NAME:TAG]) layer by layer, once, and checks:

  the config    user (root, none, a name), secrets in Env, labels and history
                (--build-arg leaks), OCI labels, HEALTHCHECK, age, layer count,
                floating base image, NVIDIA_* variables against the libcudart
                actually present
  every file    setuid/setgid, world-writable, shells, package managers,
                compilers, network tools, bundled NVIDIA driver libraries,
                hostile tar entries (path traversal, escaping links)
  every layer   secrets (private keys, cloud and API tokens, credentials files,
                high-entropy assignments), also in files a later layer deleted

Secrets are shown redacted: the first 4 characters and the length. Every rule,
its CIS/NIST source and its fix are in docs/audit.md.

Options:
  --policy FILE           a YAML policy: rules off, re-rated, or allowed for some paths;
                          every exception has an owner and an expiry date
  --fail-on SEVERITY      exit 1 when a finding is this severe or worse:
                          critical, high, medium, low or info
  --format FORMAT         table, json, sarif (SARIF 2.1.0, for code scanning) or
                          markdown (a summary for a pull request or
                          $GITHUB_STEP_SUMMARY, under 65,536 characters)
                          (default: table; --json is json)
  --arch ARCH             which platform of a multi-platform image (default: this machine's)
  --max-age DAYS          images created longer ago are stale (default: 30)

Exit status: 0 when the gate passes (or there is none), 1 when it fails or the
image cannot be read, 2 for bad usage.

Examples:
  cudaseal audit oci:out/cuda-runtime --fail-on high
  cudaseal audit docker-archive:vendor.tar --policy audit-policy.yaml --format sarif > audit.sarif
  cudaseal audit oci-archive:img.tar --arch arm64 --max-age 90 --json
  cudaseal audit oci:out/cuda-runtime --format markdown >> "$GITHUB_STEP_SUMMARY"`,
  flags: {
    policy: { type: "string" },
    "fail-on": { type: "string" },
    format: { type: "string" },
    arch: { type: "string" },
    "max-age": { type: "string" },
  },
  async run(positionals, flags, out) {
    const ref = positionals[0];
    if (ref === undefined || positionals.length > 1) {
      throw new CudasealError("USAGE", "name one image to audit", {
        hint: "cudaseal audit oci:out/cuda-runtime --fail-on high",
      });
    }
    const format = stringFlag(flags, "format") ?? (out.json ? "json" : "table");
    if (format !== "table" && format !== "json" && format !== "sarif" && format !== "markdown") {
      throw new CudasealError("USAGE", `unknown format: ${format}`, {
        hint: "use table, json, sarif or markdown",
      });
    }
    const failText = stringFlag(flags, "fail-on");
    const failOn = failText === undefined ? undefined : parseFailOn(failText);
    const maxAgeText = stringFlag(flags, "max-age");
    const maxAgeDays = maxAgeText === undefined ? undefined : Number(maxAgeText);
    if (maxAgeDays !== undefined && (!Number.isInteger(maxAgeDays) || maxAgeDays < 0)) {
      throw new CudasealError("USAGE", `--max-age takes a whole number of days, not ${maxAgeText}`);
    }
    const { report, unknownPolicyRules } = await auditImage(ref, {
      arch: stringFlag(flags, "arch"),
      policy: stringFlag(flags, "policy"),
      maxAgeDays,
      progress: out.progress(),
    });
    for (const id of unknownPolicyRules) out.warn(`the policy names ${id}, which audit does not have`);
    if (format === "json") out.jsonData(findingsJson(report));
    else if (format === "sarif") out.jsonData(findingsSarif(report));
    else if (format === "markdown") out.data(auditMarkdown(report));
    else if (report.findings.length > 0) out.data(findingsTable(report.findings));
    const counts = severityCounts(report.findings);
    const summary = Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([s, n]) => `${n} ${s}`)
      .join(", ");
    const waived = report.suppressed?.length ? `, ${report.suppressed.length} waived by policy` : "";
    out.note(`${report.findings.length} findings${summary ? ` (${summary})` : ""}${waived} in ${ref}`);
    if (failOn === undefined) return 0;
    const failures = gateFailures(report.findings, failOn);
    if (failures.length === 0) return 0;
    process.stderr.write(`audit failed: ${failures.length} findings of severity ${failOn} or worse\n`);
    return 1;
  },
};
