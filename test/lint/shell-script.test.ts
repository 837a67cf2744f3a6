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
