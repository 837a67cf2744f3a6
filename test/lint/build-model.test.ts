// The build model: ARG before FROM feeding FROM (and only FROM), stage
// scoping of ARG and ENV, inheritance between stages, --build-arg and
// --target, variable substitution as BuildKit does it, and the words
// BuildKit would stop the build at.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text here spells ${VAR} on purpose

import assert from "node:assert/strict";
import { test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { buildModel } from "../../src/lint/build-model.ts";
import { parseDockerfile } from "../../src/lint/dockerfile-parse.ts";
import { expandWord, MAX_EXPANDED_CHARS } from "../../src/lint/substitute.ts";

const model = (text: string, options = {}) => buildModel(parseDockerfile(text), options);

test("substitution: $VAR, ${VAR}, :- - :+ +, quotes and the escape character", () => {
  const vars = new Map([
    ["A", "1"],
    ["E", ""],
  ]);
  const x = (raw: string) => expandWord(raw, vars).value;
  assert.equal(x("$A-${A}"), "1-1");
  assert.equal(x("${E:-d}|${E-d}|${U-d}|${U:-$A}"), "d||d|1");
  assert.equal(x("${A:+alt}|${E:+alt}|${E+alt}|${U+alt}"), "alt||alt|");
  assert.equal(x("'$A' \"$A\" \\$A"), "$A 1 $A");
  assert.deepEqual(expandWord("img:${TAG}-${A}", vars).unresolved, ["TAG"]);
  assert.equal(expandWord("`$A", vars, "`").value, "$A");
});

test("ARG before FROM feeds FROM, with defaults, build args and nested defaults", () => {
  const text = [
    "ARG CUDA=12.4.1",
    "ARG FLAVOR",
    "ARG BASE=nvidia/cuda:${CUDA}",
    "FROM ${BASE}-${FLAVOR:-runtime}-ubuntu22.04 AS run",
    "FROM nvidia/cuda:${MISSING}-devel",
  ].join("\n");
  const m = model(text);
  assert.deepEqual(
    [...m.globalArgs],
    [
      ["CUDA", "12.4.1"],
      ["BASE", "nvidia/cuda:12.4.1"],
    ],
  );
  assert.equal(m.stages[0].base.name, "nvidia/cuda:12.4.1-runtime-ubuntu22.04");
  assert.equal(m.stages[0].name, "run");
  assert.deepEqual(m.stages[1].base.unresolved, ["MISSING"]);
  const withArgs = model(text, { buildArgs: { CUDA: "12.6.3", FLAVOR: "devel" } });
  assert.equal(withArgs.stages[0].base.name, "nvidia/cuda:12.6.3-devel-ubuntu22.04");
  assert.equal(
    model("FROM --platform=$BUILDPLATFORM golang:1.22-${TARGETARCH}").stages[0].base.name,
    "golang:1.22-amd64",
  );
});

test("a global ARG reaches a stage only when the stage declares it again", () => {
  const m = model(
    ["ARG V=1", "FROM scratch", "ENV A=[$V]", "ARG V", "ENV B=[$V]", "ARG W=2", "ENV C=$W"].join("\n"),
  );
  const env = m.stages[0].end.env;
  assert.equal(env.get("A"), "[]");
  assert.equal(env.get("B"), "[1]");
  assert.equal(env.get("C"), "2");
});

test("a stage FROM another inherits ENV, WORKDIR and USER, not ARG; WORKDIR resolves relative paths", () => {
  const m = model(
    [
      "FROM debian:12 AS base",
      "ARG SECRET=x",
      "ENV HOME_DIR=/srv",
      "WORKDIR $HOME_DIR",
      "WORKDIR app/../app2",
      "USER 1000:1000",
      "FROM BASE AS child",
      "RUN echo $SECRET",
    ].join("\n"),
  );
  const child = m.stages[1];
  assert.equal(child.parent, m.stages[0]);
  assert.equal(child.base.name, "BASE");
  const step = child.steps[0];
  assert.equal(step.workdir, "/srv/app2");
  assert.deepEqual(step.user, { value: "1000:1000", line: 6 });
  assert.equal(step.env.get("HOME_DIR"), "/srv");
  assert.equal(step.vars.has("SECRET"), false);
  assert.equal(m.final, child);
});

test("--target picks the final stage; instructions before FROM are kept apart", () => {
  const m = model("ARG A=1\nRUN echo early\nFROM scratch AS one\nFROM scratch AS two\n", { target: "ONE" });
  assert.equal(m.final?.name, "one");
  assert.deepEqual(
    m.beforeFrom.map((i) => i.keyword),
    ["RUN"],
  );
  assert.equal(model("FROM scratch", { target: "nope" }).final, undefined);
});

test("an expansion past MAX_EXPANDED_CHARS is LINT_INPUT_INVALID, not a string that fills memory", () => {
  const half = "x".repeat(MAX_EXPANDED_CHARS / 2);
  assert.equal(expandWord("$A$A", new Map([["A", half]])).value.length, MAX_EXPANDED_CHARS);
  assert.throws(
    () => expandWord("$A$A${A}", new Map([["A", half]])),
    (err) => isCudasealError(err, "LINT_INPUT_INVALID"),
  );
});

test("the model keeps each word BuildKit would stop at, with its instruction", () => {
  const m = model(
    [
      "ARG BASE=${BASE_IMAGE:?}", // 1
      "FROM ${IMG", // 2
      "ENV CUDA_HOME ${CUDA_VERSION:?set CUDA_VERSION with --build-arg}", // 3
      "COPY ${SRC:=.} /app", // 4
      "LABEL version=${V%%}", // 5
      "RUN echo ${ANY:=x}", // 6: the shell's, not BuildKit's
      "WORKDIR /opt/${}", // 7
      'ENV A="${B:?pass B with --build-arg}"', // 8: quoted, so one word for BuildKit too
    ].join("\n"),
  );
  assert.deepEqual(
    m.expansionErrors.map((p) => [p.ins.startLine, p.word, p.error.kind, p.error.message]),
    [
      [1, "${BASE_IMAGE:?}", "required", "BASE_IMAGE: is not allowed to be unset"],
      [2, "${IMG", "syntax", "syntax error: missing '}'"],
      [
        3,
        "${CUDA_VERSION:?set CUDA_VERSION with --build-arg}",
        "required",
        "CUDA_VERSION: set CUDA_VERSION with --build-arg",
      ],
      [4, "${SRC:=.}", "syntax", "unsupported modifier (:=) in substitution"],
      [7, "/opt/${}", "syntax", "syntax error: bad substitution"],
      [8, '"${B:?pass B with --build-arg}"', "required", "B: pass B with --build-arg"],
    ],
  );
  assert.equal(m.stages[0].base.error?.kind, "syntax");
});

test("build args apply to declared ARGs only; the rest are listed as unused, docker's own and proxies aside", () => {
  const m = model(
    "ARG CUDA=12.4.1\nFROM nvidia/cuda:${CUDA}-base-ubuntu22.04\nARG PIP_INDEX\nENV A=$UNDECLARED\n",
    {
      buildArgs: {
        CUDA: "12.8.1",
        PIP_INDEX: "https://pypi.example.invalid/simple",
        UNDECLARED: "x",
        HTTPS_PROXY: "http://proxy.example.invalid:3128",
        no_proxy: "localhost",
        BUILDKIT_INLINE_CACHE: "1",
      },
    },
  );
  assert.equal(m.stages[0].steps[0].vars.get("PIP_INDEX"), undefined, "not yet declared at the ARG itself");
  assert.equal(m.stages[0].end.vars.get("PIP_INDEX"), "https://pypi.example.invalid/simple");
  assert.equal(m.stages[0].base.name, "nvidia/cuda:12.8.1-base-ubuntu22.04");
  assert.equal(m.stages[0].end.env.get("A"), "", "an undeclared build arg does not reach the build");
  assert.deepEqual(m.unusedBuildArgs, ["UNDECLARED"]);
});
