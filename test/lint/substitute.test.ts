// Variable expansion on the lines real Dockerfiles write (each quoted where
// it is used), and the findings lint makes of the ones BuildKit would stop
// at or that leave the base image unknown. BuildKit's own cases are in
// substitute-buildkit.test.ts.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text here spells ${VAR} on purpose

import assert from "node:assert/strict";
import { test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { buildModel } from "../../src/lint/build-model.ts";
import { parseDockerfile } from "../../src/lint/dockerfile-parse.ts";
import { lintDockerfile } from "../../src/lint/index.ts";
import { expandWord, expandWords } from "../../src/lint/substitute.ts";

const x = (raw: string, vars: Record<string, string>) => expandWord(raw, new Map(Object.entries(vars)));
const model = (text: string, buildArgs: Record<string, string> = {}) =>
  buildModel(parseDockerfile(text), { buildArgs });
const lint = (text: string, buildArgs: Record<string, string> = {}) =>
  lintDockerfile(text, { buildArgs }).findings.map((f) => ({
    id: f.id,
    severity: f.severity,
    line: f.evidence.line,
    message: f.message,
    fix: f.fix,
  }));

test("FROM nvidia/cuda:${CUDA%.*}-devel with CUDA=12.4.1 pulls nvidia/cuda:12.4-devel", () => {
  const m = model("ARG CUDA=12.4.1\nFROM nvidia/cuda:${CUDA%.*}-devel\n");
  assert.equal(m.stages[0].base.name, "nvidia/cuda:12.4-devel");
  assert.deepEqual(m.stages[0].base.unresolved, []);
  assert.equal(
    model("ARG CUDA=12.4.1\nFROM nvidia/cuda:${CUDA%.*}-devel\n", { CUDA: "12.8.1" }).stages[0].base.name,
    "nvidia/cuda:12.8-devel",
  );
  // The shipped stage on a devel image is now seen, where the pattern used to be dropped.
  const ids = lint("ARG CUDA=12.4.1\nFROM nvidia/cuda:${CUDA%.*}-devel\nUSER 1\n").map((f) => f.id);
  assert.ok(ids.includes("CS-DF-CUDA-DEVEL-FINAL"), ids.join(" "));
});

test("# and % on the CUDA version as CUDA Dockerfiles spell the package names", () => {
  // RUN apt-get install -y --no-install-recommends cuda-cudart-${CUDA%.*}-${CUDA#*.}=${NV_CUDA_CUDART_VERSION}
  const vars = { CUDA: "11.8", NV_CUDA_CUDART_VERSION: "11.8.89-1" };
  assert.equal(
    x("cuda-cudart-${CUDA%.*}-${CUDA#*.}=${NV_CUDA_CUDART_VERSION}", vars).value,
    "cuda-cudart-11-8=11.8.89-1",
  );
  // vLLM: CUDA_MAJOR="${CUDA_VERSION%%.*}"
  assert.equal(x('CUDA_MAJOR="${CUDA_VERSION%%.*}"', { CUDA_VERSION: "12.8.1" }).value, "CUDA_MAJOR=12");
  // One % is the shortest suffix, two the longest; one # the shortest prefix, two the longest.
  const v = { V: "12.8.1" };
  assert.deepEqual(
    ["${V%.*}", "${V%%.*}", "${V#*.}", "${V##*.}", "${V%?}", "${V#1?}"].map((w) => x(w, v).value),
    ["12.8", "12", "8.1", "1", "12.8.", ".8.1"],
  );
});

test("an ARG's default is expanded with # % as the build expands it", () => {
  // A Fedora-based Dockerfile: ARG PYTHON_VERSION=3.14, then in the stage
  // ARG BUILD_DEPENDENCIES_DNF=" … python${PYTHON_VERSION%%.*}-devel python${PYTHON_VERSION%%.*}-pip …"
  const m = model(
    [
      "ARG PYTHON_VERSION=3.14",
      "FROM fedora:42",
      "ARG PYTHON_VERSION",
      'ARG BUILD_DEPENDENCIES_DNF=" \\',
      "    python${PYTHON_VERSION%%.*}-devel \\",
      "    python${PYTHON_VERSION%%.*}-pip \\",
      '"',
      "RUN dnf install -y $BUILD_DEPENDENCIES_DNF",
    ].join("\n"),
  );
  const deps = m.stages[0].steps[2].vars.get("BUILD_DEPENDENCIES_DNF") ?? "";
  assert.deepEqual(deps.trim().split(/\s+/), ["python3-devel", "python3-pip"]);
});

test("${VAR/a/b} replaces the first match, ${VAR//a/b} every one", () => {
  // cuda-command-line-tools-${CUDA/./-} from a CUDA 9 Dockerfile
  assert.equal(
    x("cuda-command-line-tools-${CUDA/./-}", { CUDA: "9.0" }).value,
    "cuda-command-line-tools-9-0",
  );
  assert.equal(x("${V/./-}|${V//./-}", { V: "12.4.1" }).value, "12-4.1|12-4-1");
  assert.equal(x("${P//:/ }", { P: "/usr/local/cuda/bin:/usr/bin" }).value, "/usr/local/cuda/bin /usr/bin");
  assert.equal(x("${V/#/x}", { V: "a#b" }).value, "axb", "a pattern is literal text but for * ? and \\");
});

test("patterns are BuildKit's: * ? and escapes, with [ a plain character", () => {
  assert.equal(x("${V#[0-9]}", { V: "1.2" }).value, "1.2", "BuildKit has no bracket expressions");
  assert.equal(x("${V#[0-9]}", { V: "[0-9]x" }).value, "x");
  assert.equal(x("${V%\\*}", { V: "a**" }).value, "a*");
  assert.equal(x("${V#*\\}}", { V: "a}b" }).value, "b");
  const bad = x("${V#\\x}", { V: "x" });
  assert.equal(bad.error?.kind, "syntax");
  assert.match(bad.error?.message ?? "", /invalid escape/);
});

test("${VAR:?message} keeps the whole message, spaces and variables in it, and says the build stops", () => {
  const unset = x("${CUDA_VERSION:?set CUDA_VERSION with --build-arg, e.g. $EXAMPLE}", { EXAMPLE: "12.8.1" });
  assert.deepEqual(unset.error, {
    kind: "required",
    message: "CUDA_VERSION: set CUDA_VERSION with --build-arg, e.g. 12.8.1",
    name: "CUDA_VERSION",
  });
  assert.deepEqual(unset.unresolved, ["CUDA_VERSION"]);
  assert.equal(x("${V:?}", { V: "" }).error?.message, "V: is not allowed to be empty");
  assert.equal(x("${V?}", {}).error?.message, "V: is not allowed to be unset");
  assert.equal(x("${V?}", { V: "" }).error, undefined, "without : an empty value passes");
  assert.equal(x("${V:?need it}", { V: "12.8.1" }).value, "12.8.1");
});

test("$$, $1 and the other special parameters are never set in a Dockerfile; quotes work inside defaults", () => {
  assert.equal(x("a$$b$1c${@:-d}", {}).value, "abcd");
  assert.equal(x("${A:-'x  y'}|${A:-\"$B z\"}", { B: "b" }).value, "x  y|b z");
  assert.equal(x("${A:-\\}}", {}).value, "}");
  assert.deepEqual(expandWords('${A:-8000} "${B} c" d', new Map([["B", "b"]])).words, ["8000", "b c", "d"]);
  // BuildKit's word splitter (EXPOSE) loses the text before a ${…:-…} in the same word; a build does too.
  assert.deepEqual(expandWords("80${P:-80} 9${Q}", new Map()).words, ["80", "9"]);
});

test("a malformed expression is a syntax error that keeps the word as written", () => {
  for (const word of ["${}", "${IMAGE", "${IMAGE:=nvidia/cuda}", "${:-x}", "${A:%x}", "'unterminated"]) {
    const e = x(word, { IMAGE: "i" });
    assert.equal(e.error?.kind, "syntax", word);
    assert.equal(e.value, word);
  }
});

test("patterns cannot stall the linter: long values match in bounded steps or fail with a code", () => {
  const long = "a".repeat(60_000);
  assert.equal(x("${A#*a*a*a*a*a*a*b}", { A: long }).value, long, "no match, found without backtracking");
  assert.equal(x("${A##*a*a}", { A: `${long}b` }).value, "b");
  assert.throws(
    () => x("${A//?/x}", { A: long }),
    (err) => isCudasealError(err, "LINT_INPUT_INVALID"),
  );
});

test("a file of many words each just under the per-word cap fails with a code, not after minutes", () => {
  // Each LABEL costs about 4.9 million steps (81 pattern characters over 60,000); 20 of them pass
  // the per-word cap one by one, but not the file's.
  const pattern = `*${"b*".repeat(40)}`;
  const text = [
    "FROM scratch",
    `ARG B=${"a".repeat(60_000)}`,
    ...Array.from({ length: 20 }, () => `LABEL x="\${B%%${pattern}}"`),
    "",
  ].join("\n");
  assert.throws(
    () => lintDockerfile(text),
    (err) => isCudasealError(err, "LINT_INPUT_INVALID"),
  );
  // The budget is the file's: the next file starts afresh.
  assert.ok(lintDockerfile('FROM scratch\nARG B=aaa\nLABEL x="${B%%a}"\n').findings.length > 0);
});

test("lint reports them: the build-stopping expansion as BuildKit words it", () => {
  const findings = lint(
    "FROM debian:12@sha256:" +
      "a".repeat(64) +
      "\nENV CUDA_HOME ${CUDA_VERSION:?set CUDA_VERSION with --build-arg}\nWORKDIR ${HOME:=/root}\nUSER 1\n",
  );
  const required = findings.find((f) => f.id === "CS-DF-VAR-REQUIRED");
  assert.equal(required?.line, 2);
  assert.equal(required?.severity, "medium");
  assert.match(
    required?.message ?? "",
    /the build stops with "CUDA_VERSION: set CUDA_VERSION with --build-arg"/,
  );
  assert.match(required?.fix ?? "", /--build-arg CUDA_VERSION=/);
  const syntax = findings.find((f) => f.id === "CS-DF-BAD-SUBSTITUTION");
  assert.equal(syntax?.line, 3);
  assert.equal(syntax?.severity, "high");
  assert.match(syntax?.message ?? "", /unsupported modifier \(:=\)/);
  const fixed = lint(
    "FROM debian:12@sha256:" +
      "a".repeat(64) +
      "\nARG CUDA_VERSION\nENV CUDA_HOME ${CUDA_VERSION:?set it}\nUSER 1\n",
    { CUDA_VERSION: "12.8.1" },
  );
  assert.deepEqual(
    fixed.map((f) => f.id).filter((id) => id.startsWith("CS-DF-VAR") || id.startsWith("CS-DF-BAD")),
    [],
  );
});

// NVIDIA's CUDA images (dist/12.8.1/ubuntu2404/devel/Dockerfile) begin:
//   ARG IMAGE_NAME
//   FROM ${IMAGE_NAME}:12.8.1-runtime-ubuntu24.04 AS base
const NVIDIA_DEVEL = [
  "ARG IMAGE_NAME",
  "FROM ${IMAGE_NAME}:12.8.1-runtime-ubuntu24.04 AS base",
  'ENV NV_CUDA_LIB_VERSION="12.8.1-1"',
  "FROM base AS base-amd64",
  "FROM base-${TARGETARCH}",
  "ARG TARGETARCH",
  "",
].join("\n");

test("NVIDIA's ARG IMAGE_NAME without a default: an info finding says the base is unknown and how to evaluate it", () => {
  const findings = lint(NVIDIA_DEVEL).filter((f) => f.id === "CS-DF-BASE-UNKNOWN");
  assert.deepEqual(
    findings.map((f) => [f.line, f.severity]),
    [[2, "info"]],
  );
  assert.match(findings[0].message, /ARG IMAGE_NAME has no default/);
  assert.match(findings[0].message, /base-image rules .* did not check it/);
  assert.equal(findings[0].fix, "lint with the value the build gets: --build-arg IMAGE_NAME=…");
  // Only the FROM of an image: `FROM base-${TARGETARCH}` names a stage, with the automatic platform ARG.
  const m = model(NVIDIA_DEVEL);
  assert.equal(m.stages[2].parent, m.stages[1]);
  assert.deepEqual([...m.globalArgNames], ["IMAGE_NAME"]);
});

test("--build-arg IMAGE_NAME=nvidia/cuda evaluates it: the base-image rules then judge nvidia/cuda:12.8.1-runtime-ubuntu24.04", () => {
  const findings = lint(NVIDIA_DEVEL, { IMAGE_NAME: "nvidia/cuda" });
  assert.deepEqual(
    findings.filter((f) => f.id.startsWith("CS-DF-BASE")).map((f) => [f.id, f.line, f.message]),
    [
      [
        "CS-DF-BASE-UNPINNED",
        2,
        "FROM nvidia/cuda:12.8.1-runtime-ubuntu24.04 is not pinned by digest; its publisher can move the tag",
      ],
    ],
  );
});

test("a variable in FROM that no ARG before it declares is a low finding: --build-arg cannot reach it", () => {
  const findings = lint("FROM ${REGISTRY}/cuda:12.8.1-base-ubuntu24.04\nUSER 1\n").filter(
    (f) => f.id === "CS-DF-BASE-UNKNOWN",
  );
  assert.equal(findings.length, 1);
  assert.equal(findings[0].severity, "low");
  assert.match(findings[0].message, /\$REGISTRY is not declared by an ARG before the first FROM/);
  assert.match(findings[0].fix, /declare ARG REGISTRY before the first FROM/);
});
