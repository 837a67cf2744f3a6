// `cudaseal lint`: security and hygiene rules over Dockerfiles, reported in
// the shared findings shape (table, JSON, SARIF), gated by --fail-on and
// waived only by the shared policy file.

import { CudasealError } from "../../errors.ts";
import { findingsJson, findingsTable, gateFailures, loadPolicy, parseFailOn } from "../../findings/index.ts";
import {
  type LintResult,
  lintDockerfile,
  lintReport,
  lintSarif,
  MAX_DOCKERFILE_BYTES,
  readDockerfile,
} from "../../lint/index.ts";
import { type Command, type FlagValues, stringFlag } from "../command.ts";

export const lintCommand: Command = {
  name: "lint",
  help: `Usage: cudaseal lint FILE… [options]

Parses each Dockerfile as BuildKit does (parser directives, continuations,
heredocs, exec form, multi-stage builds, ARG substitution in FROM) and
checks it: the final stage's USER, secrets in files, ARG, ENV or literals,
files deleted after COPY, ADD from URLs, bases not pinned by digest, CUDA
devel images in the shipped stage, apt and pip hygiene, sudo, curl | sh,
privileged labels, HEALTHCHECK, and more. docs/lint.md lists every rule.
FILE - reads a Dockerfile from stdin.

Options:
  --format FORMAT       table, json or sarif (SARIF 2.1.0, for code scanning)
                        (default: table; --json is json)
  --fail-on SEVERITY    exit 1 when a finding is this severe or worse:
                        critical, high, medium, low or info
  --policy FILE         the policy file shared with 'cudaseal audit': rules
                        turned off or re-rated, each with an owner and expiry
  --build-arg NAME=VALUE  a value for an ARG, as docker build --build-arg gives
                        it (repeatable): it overrides the ARG's default; NAME
                        alone takes the value from the environment
  --target STAGE        the stage that ships (default: the last one)
  --stdin-name NAME     the name findings give stdin (default: Dockerfile)

Exit status: 0 when the gate passes (or there is none), 1 when it fails or
a file cannot be parsed, 2 for bad usage.

Examples:
  cudaseal lint Dockerfile
  cudaseal lint Dockerfile --fail-on high
  cudaseal lint services/*/Dockerfile --format sarif > lint.sarif
  cat Dockerfile | cudaseal lint - --policy cudaseal-policy.yaml --json`,
  flags: {
    format: { type: "string" },
    "fail-on": { type: "string" },
    policy: { type: "string" },
    "build-arg": { type: "string", multiple: true },
    target: { type: "string" },
    "stdin-name": { type: "string" },
  },
  async run(positionals, flags, out) {
    if (positionals.length === 0) {
      throw new CudasealError("USAGE", "name at least one Dockerfile to lint", {
        hint: "cudaseal lint Dockerfile (or - for stdin)",
      });
    }
    if (positionals.filter((p) => p === "-").length > 1) {
      throw new CudasealError("USAGE", "stdin (-) can be read only once");
    }
    const format = stringFlag(flags, "format") ?? (out.json ? "json" : "table");
    if (format !== "table" && format !== "json" && format !== "sarif") {
      throw new CudasealError("USAGE", `unknown format: ${format}`, { hint: "use table, json or sarif" });
    }
    const failOnText = stringFlag(flags, "fail-on");
    const failOn = failOnText === undefined ? undefined : parseFailOn(failOnText);
    const policyFile = stringFlag(flags, "policy");
    const policy = policyFile === undefined ? undefined : loadPolicy(policyFile);
    const buildArgs = parseBuildArgs(flags["build-arg"], (name) =>
      out.warn(
        `--build-arg ${name}: ${name} is not set in the environment, so the build gets no value for it`,
      ),
    );
    const target = stringFlag(flags, "target");
    const stdinName = stringFlag(flags, "stdin-name") ?? "Dockerfile";

    const results: LintResult[] = [];
    for (const file of positionals) {
      const text = file === "-" ? await readStdin() : await readDockerfile(file);
      const path = file === "-" ? stdinName : file;
      results.push(lintDockerfile(text, { path, buildArgs, ...(target === undefined ? {} : { target }) }));
    }
    for (const { path, unusedBuildArgs: unused } of results) {
      if (unused.length === 0) continue;
      const one = unused.length === 1;
      out.warn(
        `${path}: no ARG declares ${unused.map((n) => `--build-arg ${n}`).join(", ")}, so the build ignores ${one ? "it" : "them"} (docker warns: not consumed)`,
      );
    }
    const { report, unknownRules } = lintReport(results, policy === undefined ? {} : { policy });
    for (const id of unknownRules) out.warn(`the policy names ${id}, which is not a lint rule`);

    if (format === "json") out.jsonData(findingsJson(report));
    else if (format === "sarif") out.jsonData(lintSarif(report));
    else if (report.findings.length > 0) out.data(findingsTable(report.findings));
    const waived = report.suppressed?.length ?? 0;
    out.note(
      `${report.findings.length} findings in ${results.length} ${results.length === 1 ? "file" : "files"}` +
        (waived > 0 ? ` (${waived} waived by policy)` : ""),
    );
    if (failOn === undefined) return 0;
    const failures = gateFailures(report.findings, failOn);
    if (failures.length === 0) return 0;
    process.stderr.write(`lint failed: ${failures.length} findings of severity ${failOn} or worse\n`);
    return 1;
  },
};

// Not listFlag: a build arg's value may hold commas (CUDA_ARCH_FLAGS=80,86,90).
// `NAME` alone is docker's form for "the value in my environment"; docker
// drops it when the environment has none, and so does lint (with a warning).
function parseBuildArgs(value: FlagValues[string], unset: (name: string) => void): Record<string, string> {
  const args: Record<string, string> = {};
  const pairs =
    value === undefined || typeof value === "boolean" ? [] : Array.isArray(value) ? value : [value];
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq === 0 || pair === "") {
      throw new CudasealError("USAGE", `--build-arg takes NAME=VALUE or NAME, not '${pair}'`, {
        hint: "--build-arg CUDA_VERSION=12.4.1",
      });
    }
    if (eq > 0) {
      args[pair.slice(0, eq)] = pair.slice(eq + 1);
      continue;
    }
    const fromEnv = process.env[pair];
    if (fromEnv === undefined) unset(pair);
    else args[pair] = fromEnv;
  }
  return args;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_DOCKERFILE_BYTES) {
      throw new CudasealError("LINT_INPUT_INVALID", "stdin holds more than 1 MiB", {
        hint: "is this a Dockerfile?",
      });
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString("utf8");
}
