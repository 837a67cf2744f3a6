// hadolint's own rule tests, run through cudaseal's rule for the same
// concern: each snippet (test/fixtures/dockerfiles/real/hadolint-cases.json,
// read from hadolint's DL*Spec.hs files at the commit it names) must get the
// verdict hadolint's test expects, except where docs/lint.md says cudaseal
// judges differently on purpose.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { lintDockerfile } from "../../src/lint/index.ts";

interface Case {
  rule: string;
  name: string;
  hadolint: "catches" | "passes";
  dockerfile: string;
}

const DATA = JSON.parse(
  readFileSync(new URL("../fixtures/dockerfiles/real/hadolint-cases.json", import.meta.url), "utf8"),
) as { source: string; commit: string; cases: Case[] };

/** hadolint rule → the cudaseal rules that cover it, space-separated (docs/lint.md has the whole table). */
const MAPPED: Record<string, string> = {
  DL3000: "CS-DF-WORKDIR-RELATIVE",
  DL3002: "CS-DF-USER-ROOT",
  DL3003: "CS-DF-RUN-CD",
  DL3004: "CS-DF-SUDO",
  DL3006: "CS-DF-BASE-LATEST",
  DL3007: "CS-DF-BASE-LATEST",
  DL3009: "CS-DF-APT-LISTS",
  DL3015: "CS-DF-APT-RECOMMENDS",
  DL3020: "CS-DF-ADD-LOCAL",
  DL3025: "CS-DF-CMD-SHELL-FORM",
  DL3042: "CS-DF-PIP-CACHE",
  DL3057: "CS-DF-HEALTHCHECK-MISSING",
  DL3059: "CS-DF-RUN-CONSECUTIVE",
  DL3061: "CS-DF-NO-FROM",
  DL3064: "CS-DF-SECRET-ARG CS-DF-SECRET-ENV",
  DL4000: "CS-DF-MAINTAINER",
  DL4006: "CS-DF-PIPEFAIL",
};

/** Cases where cudaseal disagrees on purpose, with why. */
const DIFFERENT: Record<string, string> = {
  "DL3002 warns on multiple stages":
    "USER root in a build stage does not reach the image; cudaseal judges the stage that ships",
  "DL3025 warn on HEALTHCHECK CMD shell notation":
    "a health probe is short-lived: the shell in front of it costs no signal handling, which is what the rule is about",
  "DL3042 respect ENV PIP_NO_CACHE_DIR with falsy values":
    "pip turns its cache off for any valid boolean in PIP_NO_CACHE_DIR, a false one too (its _handle_no_cache_dir)",
  "DL3042 respect RUN PIP_NO_CACHE_DIR=... with falsy values": "as above: pip reads a false value as off",
  "DL3042 respect RUN export PIP_NO_CACHE_DIR=... with falsy values":
    "as above: pip reads a false value as off",
  "DL3057 warn with no HEALTHCHECK instructions":
    "only an image that EXPOSEs a port is a service that needs one; batch and training images do not",
  "DL3057 warn when inheritance chain bifurcates": "as above: nothing is EXPOSEd",
  "DL3057 warn when not inheriting with no HEALTHCHECK instruction": "as above: nothing is EXPOSEd",
  "DL3064 not ok: ARG with sensitive data":
    "AWS_ACCESS_KEY_ID names a key; its secret half, AWS_SECRET_ACCESS_KEY, is reported, and a real AKIA… id is CS-DF-SECRET-VALUE",
  "DL3064 not ok: ENV with sensitive data": "as above: AWS_ACCESS_KEY_ID",
};

function verdict(c: Case): "catches" | "passes" {
  // hadolint's tests lint bare instructions; BuildKit (and cudaseal) need a stage to put them in.
  const text = /^\s*FROM\s/im.test(c.dockerfile) ? c.dockerfile : `FROM scratch\n${c.dockerfile}`;
  const ids = MAPPED[c.rule].split(" ");
  return lintDockerfile(text).findings.some((f) => ids.includes(f.id)) ? "catches" : "passes";
}

test("the test data names its source and holds cases for every mapped rule", () => {
  assert.equal(DATA.source, "hadolint/hadolint");
  assert.match(DATA.commit, /^[0-9a-f]{40}$/);
  const rules = new Set(DATA.cases.map((c) => c.rule));
  for (const rule of Object.keys(MAPPED)) assert.ok(rules.has(rule), rule);
});

for (const rule of Object.keys(MAPPED)) {
  test(`${rule} → ${MAPPED[rule]}: hadolint's own cases get hadolint's verdict`, () => {
    const cases = DATA.cases.filter((c) => c.rule === rule);
    assert.ok(cases.length > 0);
    for (const c of cases) {
      const key = `${c.rule} ${c.name}`;
      const expected =
        DIFFERENT[key] === undefined ? c.hadolint : c.hadolint === "catches" ? "passes" : "catches";
      assert.equal(verdict(c), expected, `${key}\n${c.dockerfile}`);
    }
  });
}
