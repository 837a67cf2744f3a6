// The lint corpus: real Dockerfiles from NVIDIA's CUDA images, PyTorch,
// vLLM, Hugging Face TGI and NeMo (test/fixtures/dockerfiles/real, origins in
// SOURCES.md), linted whole. None of the false positives they once showed may
// come back, and the real problems they hold must stay found.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text here spells ${VAR} on purpose

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import type { Finding } from "../../src/findings/index.ts";
import { buildModel, lintDockerfile, parseDockerfile, type Stage } from "../../src/lint/index.ts";

const DIR = new URL("../fixtures/dockerfiles/real/", import.meta.url);
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith(".Dockerfile"))
  .sort();

function read(file: string): string {
  return readFileSync(new URL(file, DIR), "utf8");
}

const results = new Map(FILES.map((f) => [f, lintDockerfile(read(f), { path: f }).findings]));

function hits(file: string, id: string): number[] {
  return (results.get(file) ?? []).filter((f) => f.id === id).map((f) => f.evidence.line ?? 0);
}

function line(file: string, n: number): string {
  return read(file).split("\n")[n - 1] ?? "";
}

test("the corpus holds the real files SOURCES.md lists, and each lints without an error", () => {
  const sources = readFileSync(new URL("SOURCES.md", DIR), "utf8");
  assert.ok(FILES.length >= 10, `${FILES.length} files`);
  for (const f of FILES) {
    assert.ok(sources.includes(`\`${f}\``), `${f} has no line in SOURCES.md`);
    assert.ok(results.get(f) !== undefined);
  }
});

test("no secret finding on a value that cannot be a secret (vLLM's SCCACHE_S3_NO_CREDENTIALS=0)", () => {
  for (const [file, findings] of results) {
    for (const f of findings.filter((x) => x.id === "CS-DF-SECRET-ARG" || x.id === "CS-DF-SECRET-ENV")) {
      const text = line(file, f.evidence.line ?? 0);
      assert.doesNotMatch(
        text,
        /=\s*"?(true|false|yes|no|on|off|\d+)"?\s*$/i,
        `${file}:${f.evidence.line} ${text}`,
      );
    }
  }
  assert.deepEqual(hits("vllm.Dockerfile", "CS-DF-SECRET-ARG"), []);
});

// The stages the shipped stage is built FROM, itself included.
function shippedLines(file: string): (n: number) => boolean {
  const model = buildModel(parseDockerfile(read(file), file));
  const chain: Stage[] = [];
  for (let s = model.final; s; s = s.parent) chain.push(s);
  return (n) => chain.some((s) => s.steps.some((step) => step.ins.startLine === n));
}

test("apt lists are never asked for in a stage that does not reach the image (vLLM's base stage)", () => {
  for (const file of FILES) {
    const shipped = shippedLines(file);
    for (const n of hits(file, "CS-DF-APT-LISTS")) assert.ok(shipped(n), `${file}:${n}`);
  }
  assert.deepEqual(hits("vllm.Dockerfile", "CS-DF-APT-LISTS"), [293]);
});

test("no pip cache finding where the cache is turned off or mounted for the tool that runs", () => {
  for (const [file, findings] of results) {
    for (const f of findings.filter((x: Finding) => x.id === "CS-DF-PIP-CACHE")) {
      const text = read(file)
        .split("\n")
        .slice((f.evidence.line ?? 1) - 1, (f.evidence as { endLine?: number }).endLine ?? f.evidence.line)
        .join("\n");
      assert.doesNotMatch(
        text,
        /PIP_NO_CACHE_DIR=(1|true|yes|on)|--no-cache-dir/i,
        `${file}:${f.evidence.line}`,
      );
    }
  }
});

test("the real problems stay found: curl into python${PYTHON_VERSION}, pip under a uv mount, python -mpip, uv pip", () => {
  // `&& curl -sS ${GET_PIP_URL} | python${PYTHON_VERSION} \`
  assert.deepEqual(hits("vllm.Dockerfile", "CS-DF-CURL-PIPE-SHELL"), [78, 293]);
  // `RUN --mount=type=cache,target=/root/.cache/uv \` + `python3 -m pip install uv`
  assert.deepEqual(hits("vllm.Dockerfile", "CS-DF-PIP-CACHE"), [110, 326]);
  // `/opt/conda/bin/python -mpip install -r requirements.txt && \`
  assert.ok(hits("pytorch.Dockerfile", "CS-DF-PIP-CACHE").includes(38));
  // `RUN uv venv --python ${PYTHON_VERSION} && uv pip install torch==${PYTORCH_VERSION} …`
  const uv = (results.get("tgi.Dockerfile") ?? []).filter((f) => f.id === "CS-DF-PIP-CACHE");
  assert.deepEqual(
    uv.map((f) => f.evidence.line),
    [68, 184],
  );
  for (const f of uv) assert.match(f.fix, /uv pip install --no-cache/);
  // `RUN curl -sSf https://sh.rustup.rs | sh -s -- --no-modify-path …`
  assert.deepEqual(hits("tgi-llamacpp.Dockerfile", "CS-DF-CURL-PIPE-SHELL"), [44]);
  assert.deepEqual(hits("tgi-trtllm.Dockerfile", "CS-DF-CURL-PIPE-SHELL"), [71]);
  // `ARG actions_runtime_token`: no default, so the value comes with --build-arg and stays in the history
  assert.deepEqual(hits("tgi-trtllm.Dockerfile", "CS-DF-SECRET-ARG"), [7]);
  // the shipped vLLM image is built on a CUDA devel image, and runs as root
  assert.deepEqual(hits("vllm.Dockerfile", "CS-DF-CUDA-DEVEL-FINAL"), [276]);
  for (const file of FILES) assert.equal(hits(file, "CS-DF-USER-MISSING").length, 1, file);
});

test("`cudaseal lint` over the whole corpus: one JSON report, none of the false positives, the misses found", () => {
  const bin = new URL("../../bin/cudaseal.js", import.meta.url).pathname;
  const run = spawnSync(process.execPath, [bin, "lint", ...FILES, "--format", "json"], {
    cwd: new URL(".", DIR).pathname,
    encoding: "utf8",
  });
  assert.equal(run.status, 0, run.stderr);
  const report = JSON.parse(run.stdout) as {
    findings: { id: string; evidence: { path: string; line: number } }[];
  };
  const seen = (id: string, path: string) =>
    report.findings
      .filter((f) => f.id === id && f.evidence.path === path)
      .map((f) => f.evidence.line)
      .sort((a, b) => a - b);
  assert.deepEqual(seen("CS-DF-SECRET-ARG", "vllm.Dockerfile"), []);
  assert.deepEqual(seen("CS-DF-APT-LISTS", "vllm.Dockerfile"), [293]);
  assert.deepEqual(seen("CS-DF-CURL-PIPE-SHELL", "vllm.Dockerfile"), [78, 293]);
  assert.deepEqual(seen("CS-DF-PIP-CACHE", "vllm.Dockerfile"), [110, 326]);
  // the library and the command agree, file by file
  for (const file of FILES) {
    assert.equal(
      report.findings.filter((f) => f.evidence.path === file).length,
      results.get(file)?.length,
      file,
    );
  }
});
