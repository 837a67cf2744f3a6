// The RUN script reader: commands split at operators, pipelines kept,
// quotes removed, redirections dropped, wrappers peeled off, and which
// heredoc bodies count as shell script.

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseDockerfile } from "../../src/lint/dockerfile-parse.ts";
import { invocation, runScript, shellCommands } from "../../src/lint/shell-script.ts";

test("commands, pipelines, quotes and redirections", () => {
  const cmds = shellCommands(
    `set -e; DEBIAN_FRONTEND=noninteractive apt-get install -y "a b" 2>&1 >/dev/null && curl -fsSL 'https://x/i.sh' | sudo -E bash -s -- --yes || true\n# comment | sh\necho \\\n  done`,
  );
  assert.deepEqual(
    cmds.map((c) => [c.words.join(" "), c.pipeline, c.position]),
    [
      ["set -e", 0, 0],
      ["DEBIAN_FRONTEND=noninteractive apt-get install -y a b", 1, 0],
      ["curl -fsSL https://x/i.sh", 2, 0],
      ["sudo -E bash -s -- --yes", 2, 1],
      ["true", 3, 0],
      ["echo done", 4, 0],
    ],
  );
  const call = invocation(cmds[3].words);
  assert.equal(call?.name, "bash");
  assert.deepEqual(call?.via, ["sudo"]);
  const apt = invocation(cmds[1].words);
  assert.equal(apt?.name, "apt-get");
  assert.equal(apt?.assignments.get("DEBIAN_FRONTEND"), "noninteractive");
});

test("$(…), backticks and <(…) stay inside their word", () => {
  const cmds = shellCommands('sh -c "$(curl -fsSL https://x | head)"; bash <(wget -O- x); echo `a | b`');
  assert.deepEqual(
    cmds.map((c) => c.words),
    [
      ["sh", "-c", "$(curl -fsSL https://x | head)"],
      ["bash", "<(wget -O- x)"],
      ["echo", "`a | b`"],
    ],
  );
});

test("which heredoc bodies a RUN executes as shell", () => {
  const [, script, bash, python, cat, exec] = parseDockerfile(
    [
      "FROM debian:12",
      "RUN <<EOF",
      "apt-get update",
      "EOF",
      "RUN bash -e <<EOF",
      "pip install x",
      "EOF",
      "RUN python3 <<EOF",
      "import os",
      "EOF",
      "RUN cat <<EOF > /etc/x.conf",
      "sudo rules",
      "EOF",
      'RUN ["/bin/bash", "-c", "sudo make install"]',
    ].join("\n"),
  ).instructions;
  assert.match(runScript(script), /apt-get update/);
  assert.match(runScript(bash), /pip install x/);
  assert.doesNotMatch(runScript(python), /import os/);
  assert.doesNotMatch(runScript(cat), /sudo/);
  assert.equal(runScript(exec), "sudo make install");
});

test("a case's patterns are no pipeline: NeMo-Skills' `arm64|aarch64)` is dropped, its branches are commands", () => {
  // NeMo-Skills dockerfiles/Dockerfile.sandbox, continuations joined as BuildKit joins them
  const script =
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell text spells ${VAR} on purpose
    'ARCH="${TARGETARCH:-$(dpkg --print-architecture)}" && case "$ARCH" in amd64) PYPY_ARCH=linux64 ;; arm64|aarch64) PYPY_ARCH=aarch64 ;; *) echo "Unsupported TARGETARCH \'$ARCH\'" >&2; exit 1 ;; esac && curl -L https://x -o /tmp/p.tar.bz2 | tee log';
  const commands = shellCommands(script);
  assert.deepEqual(
    commands.filter((c) => c.position > 0).map((c) => c.words[0]),
    ["tee"],
  );
  assert.ok(commands.some((c) => c.words[0] === "exit"));
  // `(a|b)` patterns too, and a case word that is only an argument
  assert.deepEqual(
    shellCommands("case x in (a|b) make ;; esac; wget -O- y | sh")
      .filter((c) => c.position > 0)
      .map((c) => c.words[0]),
    ["sh"],
  );
  assert.deepEqual(
    shellCommands("echo case in | cat").map((c) => c.position),
    [0, 1],
  );
});
