// `cudaseal lint` end to end: the real binary on real files and stdin, exit
// codes with --fail-on, JSON, SARIF checked against the official SARIF 2.1.0
// schema (with regions spanning whole instructions), and the shared policy file.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text here spells ${VAR} on purpose

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import AjvDraft04 from "ajv-draft-04";
import { schema } from "../helpers/sbom-schemas.ts";

const BIN = new URL("../../bin/cudaseal.js", import.meta.url).pathname;
const FIXTURES = new URL("../fixtures/dockerfiles/", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "cudaseal-lint-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));

// ajv-draft-04 is CommonJS; under Node's ESM loader its class is also its own `default`.
const validate = new AjvDraft04.default({ allErrors: true, strict: false }).compile(
  schema("sarif-2.1.0.schema.json"),
);

function cli(args: string[], input?: string) {
  return spawnSync(process.execPath, [BIN, "lint", ...args], { encoding: "utf8", input, cwd: dir });
}

const BAD = [
  "FROM nvidia/cuda:12.4.1-devel-ubuntu22.04", // 1
  "RUN apt-get update && \\", // 2
  "    apt-get install -y python3", // 3
  "COPY .env /app/.env", // 4
  "USER root", // 5
  "",
].join("\n");
writeFileSync(join(dir, "Dockerfile"), BAD);
const GOOD = `FROM scratch\nCOPY --chown=1:1 app /app\nUSER 1\n`;
writeFileSync(join(dir, "good.Dockerfile"), GOOD);

test("the table lists findings worst first; no --fail-on exits 0", () => {
  const r = cli(["Dockerfile"]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  assert.match(lines[0], /^SEVERITY\s+RULE\s+WHERE\s+MESSAGE$/);
  assert.match(lines[1], /^high\s+CS-DF-SECRET-FILE\s+Dockerfile:4\s/);
  assert.match(r.stderr, /findings in 1 file/);
});

test("--fail-on: exit 1 at or above the gate, 0 below it, 2 for an unknown severity", () => {
  assert.equal(cli(["Dockerfile", "--fail-on", "high"]).status, 1);
  assert.equal(cli(["good.Dockerfile", "--fail-on", "low"]).status, 0);
  const info = cli(["good.Dockerfile", "--fail-on", "info"]);
  assert.equal(info.status, 0, info.stdout);
  assert.equal(cli(["Dockerfile", "--fail-on", "severe"]).status, 2);
  assert.equal(cli(["Dockerfile", "--format", "xml"]).status, 2);
  assert.equal(cli([]).status, 2);
});

test("stdin (-) and --stdin-name; --json is the shared findings document", () => {
  const r = cli(["-", "--json", "--stdin-name", "svc/Dockerfile"], BAD);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.tool, "lint");
  assert.equal(doc.kind, "file");
  assert.equal(doc.target, "svc/Dockerfile");
  assert.equal(doc.summary.high, 2);
  const apt = doc.findings.find((f: { id: string }) => f.id === "CS-DF-APT-LISTS");
  assert.deepEqual(apt.evidence, {
    path: "svc/Dockerfile",
    line: 2,
    endLine: 3,
    snippet: "RUN apt-get update && \\",
  });
});

test("a file BuildKit cannot parse is LINT_PARSE_ERROR, exit 1; a missing file is LINT_INPUT_INVALID", () => {
  const r = cli(["-", "--json"], "FROM debian:12\nRUN <<EOF\necho\n");
  assert.equal(r.status, 1);
  assert.equal(JSON.parse(r.stdout).error.code, "LINT_PARSE_ERROR");
  assert.match(r.stderr, /Dockerfile:2: heredoc 'EOF'/);
  const missing = cli(["nope/Dockerfile", "--json"]);
  assert.equal(missing.status, 1);
  assert.equal(JSON.parse(missing.stdout).error.code, "LINT_INPUT_INVALID");
});

test("hostile input exits 1: a file over 1 MiB is INPUT_TOO_LARGE, ENV values that double each other LINT_INPUT_INVALID", () => {
  const big = join(dir, "big.Dockerfile");
  writeFileSync(big, `FROM scratch\n# ${"x".repeat(1024 * 1024)}\n`);
  const r = cli([big, "--json"]);
  assert.equal(r.status, 1);
  assert.equal(JSON.parse(r.stdout).error.code, "INPUT_TOO_LARGE");
  // Each line doubles the last: 40 lines would be a terabyte string.
  const lines = ["FROM scratch", "ENV A0=xx"];
  for (let i = 1; i < 40; i++) lines.push(`ENV A${i}=\${A${i - 1}}\${A${i - 1}}`);
  const bomb = cli(["-", "--json"], `${lines.join("\n")}\n`);
  assert.equal(bomb.status, 1);
  assert.equal(JSON.parse(bomb.stdout).error.code, "LINT_INPUT_INVALID");
});

interface SarifResult {
  ruleId: string;
  locations: {
    physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; endLine: number } };
  }[];
}

test("--format sarif is valid SARIF 2.1.0 with file uris and start/end lines, for several files", () => {
  const r = cli(["Dockerfile", join(FIXTURES, "seed003-secret-in-layer.Dockerfile"), "--format", "sarif"]);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as {
    runs: { results: SarifResult[]; tool: { driver: { rules: { id: string }[] } } }[];
  };
  assert.ok(validate(doc), JSON.stringify(validate.errors, null, 2));
  const results: SarifResult[] = doc.runs[0].results;
  const apt = results.find((x) => x.ruleId === "CS-DF-APT-LISTS");
  assert.deepEqual(apt?.locations[0].physicalLocation, {
    artifactLocation: { uri: "Dockerfile" },
    region: { startLine: 2, endLine: 3 },
  });
  const seed = results.find((x) => x.ruleId === "CS-DF-SECRET-DELETED");
  assert.match(
    seed?.locations[0].physicalLocation.artifactLocation.uri ?? "",
    /seed003-secret-in-layer\.Dockerfile$/,
  );
  assert.equal(seed?.locations[0].physicalLocation.region.startLine, 5);
  const ruleIds = doc.runs[0].tool.driver.rules.map((x: { id: string }) => x.id);
  assert.deepEqual(ruleIds, [...ruleIds].sort());
  assert.ok(ruleIds.includes("CS-DF-CUDA-DEVEL-FINAL"));
});

test("--policy waives a rule (with owner and expiry), re-rates another, and an expired entry is a finding", () => {
  const policy = join(dir, "policy.yaml");
  writeFileSync(
    policy,
    [
      "rules:",
      "  CS-DF-SECRET-FILE: { off: true, owner: ml-platform, expires: 2999-12-31, reason: test fixture }",
      "  CS-DF-USER-ROOT: { severity: low, owner: ml-platform, expires: 2999-12-31 }",
      "  CS-DF-APT-LISTS: { off: true, owner: old-team, expires: 2000-01-01 }",
      "",
    ].join("\n"),
  );
  const r = cli(["Dockerfile", "--policy", policy, "--json", "--fail-on", "high"]);
  assert.equal(r.status, 0, r.stdout);
  const doc = JSON.parse(r.stdout);
  const ids = doc.findings.map((f: { id: string; severity: string }) => `${f.id}/${f.severity}`);
  assert.ok(!ids.includes("CS-DF-SECRET-FILE/high"));
  assert.ok(ids.includes("CS-DF-USER-ROOT/low"));
  assert.ok(ids.includes("CS-DF-APT-LISTS/low"), "an expired waiver no longer applies");
  assert.ok(ids.includes("CS-POLICY-EXPIRED/medium"));
  assert.equal(doc.suppressed[0].owner, "ml-platform");
  assert.equal(cli(["Dockerfile", "--policy", policy, "--fail-on", "medium"]).status, 1);
});

test("--build-arg and --target reach the build model", () => {
  writeFileSync(
    join(dir, "args.Dockerfile"),
    "ARG FLAVOR=runtime\nFROM nvidia/cuda:12.4.1-${FLAVOR}-ubuntu22.04 AS app\nUSER 1\nFROM app AS debug\nUSER root\n",
  );
  const ids = (args: string[]) =>
    JSON.parse(cli(["args.Dockerfile", "--json", ...args]).stdout).findings.map((f: { id: string }) => f.id);
  assert.ok(ids([]).includes("CS-DF-USER-ROOT"));
  assert.ok(!ids(["--target", "app"]).includes("CS-DF-USER-ROOT"));
  assert.ok(ids(["--target", "app", "--build-arg", "FLAVOR=devel"]).includes("CS-DF-CUDA-DEVEL-FINAL"));
  assert.equal(cli(["args.Dockerfile", "--target", "nope"]).status, 2);
  assert.equal(cli(["args.Dockerfile", "--build-arg", "=devel"]).status, 2);
});

test("--build-arg NAME takes the environment's value, as docker's does; an ARG nobody declares gets a warning", () => {
  // NVIDIA's CUDA Dockerfiles start: ARG IMAGE_NAME / FROM ${IMAGE_NAME}:12.8.1-runtime-ubuntu24.04 AS base
  writeFileSync(
    join(dir, "nvidia.Dockerfile"),
    "ARG IMAGE_NAME\nFROM ${IMAGE_NAME}:12.8.1-devel-ubuntu24.04\nUSER 1\n",
  );
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [BIN, "lint", "nvidia.Dockerfile", "--json", ...args], {
      encoding: "utf8",
      cwd: dir,
      env: { ...process.env, ...env },
    });
  const ids = (r: ReturnType<typeof run>) =>
    JSON.parse(r.stdout)
      .findings.map((f: { id: string }) => f.id)
      .sort();
  const bare = run([]);
  assert.deepEqual(ids(bare), ["CS-DF-BASE-UNKNOWN"]);
  const fromEnv = run(["--build-arg", "IMAGE_NAME"], { IMAGE_NAME: "nvidia/cuda" });
  assert.deepEqual(ids(fromEnv), ["CS-DF-BASE-UNPINNED", "CS-DF-CUDA-DEVEL-FINAL"]);
  const unset = run([
    "--build-arg",
    "IMAGE_NAME",
    "--build-arg",
    "CUDA_VERSION=12.8.1",
    "--build-arg",
    "HTTP_PROXY=x",
  ]);
  assert.equal(unset.status, 0);
  assert.deepEqual(ids(unset), ["CS-DF-BASE-UNKNOWN"]);
  assert.match(unset.stderr, /--build-arg IMAGE_NAME: IMAGE_NAME is not set in the environment/);
  assert.match(
    unset.stderr,
    /nvidia\.Dockerfile: no ARG declares --build-arg CUDA_VERSION, so the build ignores it/,
  );
  assert.doesNotMatch(unset.stderr, /HTTP_PROXY/);
});
