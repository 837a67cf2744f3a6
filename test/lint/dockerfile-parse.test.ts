// The Dockerfile parser on the inputs BuildKit's own parser tests dwell on:
// directives, continuations with comments and empty lines, a backtick
// escape, heredocs (several on one line, quoted, <<-), exec form, flags.

import assert from "node:assert/strict";
import { test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { parseDockerfile } from "../../src/lint/dockerfile-parse.ts";

function only(text: string) {
  const df = parseDockerfile(text);
  return { df, ins: df.instructions };
}

test("parser directives are read only at the top, case-insensitively", () => {
  const { df } = only(
    "# syntax=docker/dockerfile:1.7\n# ESCAPE=\\\n# check=skip=JSONArgsRecommended\nFROM scratch\n",
  );
  assert.equal(df.directives.syntax, "docker/dockerfile:1.7");
  assert.equal(df.directives.escape, "\\");
  assert.equal(df.directives.check, "skip=JSONArgsRecommended");
  // After any other comment or an empty line, `# escape=` is just a comment.
  const late = only("# a comment\n# escape=`\nFROM scratch\n").df;
  assert.equal(late.directives.escape, "\\");
  const afterBlank = only("\n# escape=`\nFROM scratch\n").df;
  assert.equal(afterBlank.directives.escape, "\\");
});

test("a bad or repeated directive is LINT_PARSE_ERROR with its line", () => {
  assert.throws(
    () => parseDockerfile("# escape=x\nFROM scratch\n"),
    (err) => isCudasealError(err, "LINT_PARSE_ERROR") && err.details?.line === 1,
  );
  assert.throws(
    () => parseDockerfile("# syntax=a\n# syntax=b\nFROM scratch\n"),
    (err) => isCudasealError(err, "LINT_PARSE_ERROR") && err.details?.line === 2,
  );
});

test("continuations join lines, drop comment lines, skip empty lines and keep line numbers", () => {
  const text = [
    "FROM debian:12", // 1
    "RUN apt-get update && \\", // 2
    "    # this comment is dropped, as BuildKit drops it", // 3
    "    apt-get install -y curl \\   ", // 4 (blanks after the escape)
    "", // 5 empty: skipped, with a problem
    "    && rm -rf /var/lib/apt/lists/*", // 6
    "run echo done", // 7, lower-case keyword
  ].join("\n");
  const { df, ins } = only(text);
  assert.equal(ins.length, 3);
  const run = ins[1];
  assert.equal(run.keyword, "RUN");
  assert.equal(run.args, "apt-get update &&     apt-get install -y curl     && rm -rf /var/lib/apt/lists/*");
  assert.deepEqual([run.startLine, run.endLine], [2, 6]);
  assert.equal(ins[2].keyword, "RUN");
  assert.equal(ins[2].written, "run");
  assert.deepEqual([ins[2].startLine, ins[2].endLine], [7, 7]);
  assert.deepEqual(
    df.problems.map((p) => [p.kind, p.line]),
    [["empty-continuation", 5]],
  );
});

test("escape=` makes the backtick the continuation character and leaves backslashes alone", () => {
  const text =
    "# escape=`\nFROM mcr.microsoft.com/windows/servercore\nCOPY testfile.txt c:\\ `\n    c:\\dest\\\nRUN dir c:\\\n";
  const { df, ins } = only(text);
  assert.equal(df.directives.escape, "`");
  assert.equal(ins.length, 3);
  assert.equal(ins[1].args, "testfile.txt c:\\     c:\\dest\\");
  assert.deepEqual([ins[1].startLine, ins[1].endLine], [3, 4]);
  assert.equal(ins[2].args, "dir c:\\");
});

test("a trailing backslash continues with the default escape", () => {
  const { ins } = only("FROM scratch\nRUN dir c:\\\nCMD x\n");
  assert.equal(ins.length, 2);
  assert.equal(ins[1].args, "dir c:CMD x");
});

test("heredocs: several on one line, quoted, <<- with tabs, bodies and lines", () => {
  const text = [
    "FROM debian:12", // 1
    "RUN <<EOT bash", // 2
    "  set -e", // 3
    "  apt-get update", // 4
    "EOT", // 5
    "COPY <<one.txt <<'two.txt' /dest/", // 6
    "first $HOME", // 7
    "one.txt", // 8
    "second $HOME", // 9
    "two.txt", // 10
    'RUN python3 <<-"PY"', // 11
    "\tprint('hi')", // 12
    "\tPY", // 13
    "RUN echo '<<NOT' && cat <<<here", // 14
  ].join("\n");
  const { ins } = only(text);
  assert.equal(ins.length, 5);
  const [, run, copy, py, plain] = ins;
  assert.deepEqual(
    run.heredocs.map((h) => [h.name, h.body, h.startLine, h.endLine, h.expand, h.stripTabs]),
    [["EOT", "  set -e\n  apt-get update\n", 3, 5, true, false]],
  );
  assert.deepEqual([run.startLine, run.endLine], [2, 5]);
  assert.deepEqual(
    copy.heredocs.map((h) => [h.name, h.body, h.expand]),
    [
      ["one.txt", "first $HOME\n", true],
      ["two.txt", "second $HOME\n", false],
    ],
  );
  assert.deepEqual([copy.startLine, copy.endLine], [6, 10]);
  assert.deepEqual(
    py.heredocs.map((h) => [h.name, h.body, h.stripTabs, h.expand]),
    [["PY", "print('hi')\n", true, false]],
  );
  assert.deepEqual([plain.startLine, plain.endLine, plain.heredocs.length], [14, 14, 0]);
});

test("a heredoc that never ends is LINT_PARSE_ERROR at its instruction", () => {
  assert.throws(
    () => parseDockerfile("FROM debian:12\nRUN <<EOF\necho hi\n"),
    (err) => isCudasealError(err, "LINT_PARSE_ERROR") && err.details?.line === 2,
  );
});

test("exec form is JSON; anything else that starts with [ is shell form and a problem", () => {
  const { df, ins } = only(
    'FROM scratch\nCMD ["python3", "-m", "app"]\nENTRYPOINT [\'python3\']\nRUN ["sh", "-c", "echo <<EOF"]\n',
  );
  assert.deepEqual(ins[1].json, ["python3", "-m", "app"]);
  assert.equal(ins[2].json, undefined);
  assert.equal(ins[2].args, "['python3']");
  assert.deepEqual(ins[3].json, ["sh", "-c", "echo <<EOF"]);
  assert.equal(ins[3].heredocs.length, 0, "no heredocs in exec form");
  assert.deepEqual(
    df.problems.map((p) => [p.kind, p.line]),
    [["json-form-invalid", 3]],
  );
});

test("flags: --mount with commas, --chown, --from, --platform, bare --link, quoted values", () => {
  const { ins } = only(
    [
      "FROM --platform=$BUILDPLATFORM golang:1.22 AS build",
      "RUN --mount=type=cache,target=/root/.cache/pip --mount=type=secret,id=hf pip install x",
      'COPY --link --chown=app:app --from=build "/out dir" /app/',
      "RUN -- --not-a-flag",
    ].join("\n"),
  );
  assert.deepEqual(ins[0].flags, [{ name: "platform", value: "$BUILDPLATFORM" }]);
  assert.equal(ins[0].args, "golang:1.22 AS build");
  assert.deepEqual(ins[1].flags, [
    { name: "mount", value: "type=cache,target=/root/.cache/pip" },
    { name: "mount", value: "type=secret,id=hf" },
  ]);
  assert.equal(ins[1].args, "pip install x");
  assert.deepEqual(ins[2].flags, [
    { name: "link" },
    { name: "chown", value: "app:app" },
    { name: "from", value: "build" },
  ]);
  assert.equal(ins[2].args, '"/out dir" /app/');
  assert.equal(ins[3].args, "--not-a-flag");
});

test("an unknown keyword is a problem, not an error; ONBUILD keeps its trigger", () => {
  const { df, ins } = only("FROM scratch\nFORM x\nONBUILD RUN make\n");
  assert.deepEqual(
    df.problems.map((p) => [p.kind, p.line]),
    [["unknown-instruction", 2]],
  );
  assert.equal(ins[2].trigger?.keyword, "RUN");
  assert.equal(ins[2].trigger?.args, "make");
});

test("CRLF line ends, a BOM, and a missing final newline", () => {
  const { ins } = only("\uFEFFFROM debian:12\r\nRUN a \\\r\n  b\r\nUSER 1000");
  assert.deepEqual(
    ins.map((i) => [i.keyword, i.args, i.startLine, i.endLine]),
    [
      ["FROM", "debian:12", 1, 1],
      ["RUN", "a   b", 2, 3],
      ["USER", "1000", 4, 4],
    ],
  );
});

test("input that is not a Dockerfile is LINT_INPUT_INVALID", () => {
  assert.throws(
    () => parseDockerfile("FROM x\0"),
    (err) => isCudasealError(err, "LINT_INPUT_INVALID"),
  );
  assert.throws(
    () => parseDockerfile(`FROM x\n${"#".repeat(1024 * 1024)}`),
    (err) => isCudasealError(err, "LINT_INPUT_INVALID"),
  );
  assert.throws(
    () => parseDockerfile(`FROM x\n${"RUN a\n".repeat(10_000)}`),
    (err) => isCudasealError(err, "LINT_INPUT_INVALID") && err.details?.line === 10_001,
  );
});
