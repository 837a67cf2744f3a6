// The nightly workflow docs/fleet.md shows ("Rebuilding when a fix lands")
// is kept true: valid against the GitHub workflow schema, least privilege,
// every action pinned by a full commit SHA, no expression expanded inside a
// shell script, and every cudaseal flag it passes one the command takes.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parse } from "yaml";
import { commands } from "../../src/cli/commands/index.ts";
import { githubWorkflowValidator } from "../engines/schemas.ts";

// biome-ignore lint/suspicious/noExplicitAny: a workflow is untyped data, read field by field
type Obj = Record<string, any>;

function workflow(): { text: string; doc: Obj } {
  const md = readFileSync(new URL("../../docs/fleet.md", import.meta.url), "utf8");
  const section = md.slice(md.indexOf("### Nightly, as a GitHub Actions workflow"));
  const block = /```yaml\n([\s\S]*?)```/.exec(section);
  assert.ok(block, "the section has a YAML block");
  return { text: block[1], doc: parse(block[1]) };
}

test("the workflow is valid against the GitHub workflow schema", () => {
  const validate = githubWorkflowValidator();
  const { doc } = workflow();
  assert.ok(validate(doc), JSON.stringify(validate.errors, null, 2));
  assert.deepEqual(Object.keys(doc.on).sort(), ["schedule", "workflow_dispatch"]);
});

test("it grants nothing by default and the job only what pushing a branch and opening a pull request need", () => {
  const { doc } = workflow();
  assert.deepEqual(doc.permissions, {});
  for (const job of Object.values(doc.jobs) as Obj[]) {
    assert.deepEqual(job.permissions, { contents: "write", "pull-requests": "write" });
    for (const step of job.steps as Obj[]) {
      if (step.uses !== undefined) {
        assert.match(
          step.uses,
          /^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/,
          `${step.uses} is pinned by a full commit SHA`,
        );
        assert.equal(step.with?.["persist-credentials"], false, "the checkout leaves no token on disk");
      }
      if (step.run !== undefined) assert.doesNotMatch(step.run, /\$\{\{/, "no expression inside a script");
    }
  }
});

test("every cudaseal flag the workflow passes is one the command takes", async () => {
  const { text } = workflow();
  const lines = text.replace(/\\\n\s*/g, " ").split("\n");
  let checked = 0;
  for (const line of lines) {
    const m = /npx cudaseal (\S+)(.*)/.exec(line);
    if (!m) continue;
    const entry = commands.find((c) => c.name === m[1]);
    assert.ok(entry, `cudaseal ${m[1]} exists`);
    const command = await entry.load();
    const known = new Set(
      Object.entries(command.flags).flatMap(([name, f]) => [`--${name}`, `-${f.short ?? name}`]),
    );
    for (const flag of m[2].match(/(?<=\s)--?[a-z][a-z-]*/g) ?? []) {
      assert.ok(known.has(flag), `cudaseal ${m[1]} takes ${flag}`);
      checked++;
    }
  }
  assert.ok(checked >= 8, `checked ${checked} flags`);
});
