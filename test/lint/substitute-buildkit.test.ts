// BuildKit's own test cases for its variable expansion, kept as data in
// test/fixtures/buildkit/ (SOURCE.md names the commit), each run through
// substitute.ts and compared with BuildKit's expected result. Read the way
// BuildKit's lex_test.go reads them.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { expandWord, expandWords } from "../../src/lint/substitute.ts";

const DIR = new URL("../fixtures/buildkit/", import.meta.url);
const read = (name: string) => readFileSync(new URL(name, DIR), "utf8");

/**
 * Cases BuildKit runs on one platform only, skipped with the reason. `W`
 * lines run on Windows, where variable names are case-insensitive
 * (`$pwd` is `$PWD`); cudaseal lints Linux builds, whose `U` twin runs.
 */
const SKIPPED_PLATFORMS: Record<string, string> = {
  W: "Windows only: there variable names are case-insensitive; the U line of the same case runs",
};

test("envVarTest: every case for Unix gives BuildKit's result or BuildKit's error", () => {
  const vars = new Map([
    ["PWD", "/home"],
    ["SHELL", "bash"],
    ["KOREAN", "한국어"],
    ["NULL", ""],
  ]);
  let ran = 0;
  let skipped = 0;
  const failures: string[] = [];
  read("envVarTest")
    .split("\n")
    .forEach((text, i) => {
      if (text.startsWith("#")) return;
      const line = text.trim();
      if (line === "") return;
      const parts = line.split("|");
      assert.equal(parts.length, 3, `envVarTest:${i + 1} has three parts`);
      const [platform, source, expected] = parts.map((p) => p.trim());
      assert.ok(["A", "U", "W"].includes(platform), `envVarTest:${i + 1}: platform ${platform}`);
      if (SKIPPED_PLATFORMS[platform] !== undefined) {
        skipped++;
        return;
      }
      ran++;
      const got = expandWord(source, vars);
      if (expected === "error") {
        if (got.error === undefined)
          failures.push(`${i + 1}: ${source} gave ${JSON.stringify(got.value)}, not an error`);
      } else if (got.error !== undefined || got.value !== expected) {
        failures.push(
          `${i + 1}: ${source} gave ${got.error ? `error ${got.error.message}` : JSON.stringify(got.value)}, BuildKit ${JSON.stringify(expected)}`,
        );
      }
    });
  assert.deepEqual(failures, []);
  assert.equal(ran, 228);
  assert.equal(skipped, 2);
});

test("wordsTest: the words after expansion are BuildKit's, blanks kept where quoted", () => {
  const vars = new Map<string, string>();
  let ran = 0;
  const failures: string[] = [];
  const lines = read("wordsTest").split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  lines.forEach((line, i) => {
    if (line.startsWith("#")) return;
    if (line.startsWith("ENV ")) {
      // EnvsFromSlice: the name up to the first `=`, the rest (trailing blanks too) the value.
      const pair = line.slice(3).replace(/^ +/, "");
      const eq = pair.indexOf("=");
      vars.set(pair.slice(0, eq), pair.slice(eq + 1));
      return;
    }
    const parts = line.split("|");
    assert.equal(parts.length, 2, `wordsTest:${i + 1} has one |`);
    const input = parts[0].trim();
    const expected = parts[1].replace(/^ +/, "").split(",");
    const got = expandWords(input, vars);
    const words = got.error === undefined ? got.words : ["error"];
    ran++;
    if (JSON.stringify(words) !== JSON.stringify(expected)) {
      failures.push(`${i + 1}: ${input} gave ${JSON.stringify(words)}, BuildKit ${JSON.stringify(expected)}`);
    }
  });
  assert.deepEqual(failures, []);
  assert.equal(ran, 24);
});

interface LexCase {
  test: string;
  input: string;
  envs: Record<string, string>;
  expected?: string;
  error?: boolean;
  errorContains?: string;
  unmatched?: string[];
}

test("lex_test.go's tables: # ## % %% / //, :? and +, with the variables BuildKit found unset", () => {
  const cases = JSON.parse(read("lex_test-cases.json")) as LexCase[];
  const failures: string[] = [];
  for (const c of cases) {
    const got = expandWord(c.input, new Map(Object.entries(c.envs)));
    const where = `${c.test}: ${c.input} with ${JSON.stringify(c.envs)}`;
    if (c.error) {
      if (got.error === undefined) failures.push(`${where} gave ${JSON.stringify(got.value)}, not an error`);
      else if (c.errorContains !== undefined && !got.error.message.includes(c.errorContains)) {
        failures.push(`${where}: error ${got.error.message} lacks ${c.errorContains}`);
      }
      continue;
    }
    if (got.error !== undefined || got.value !== c.expected) {
      failures.push(
        `${where} gave ${got.error ? `error ${got.error.message}` : JSON.stringify(got.value)}, BuildKit ${JSON.stringify(c.expected)}`,
      );
    }
    if (
      c.unmatched !== undefined &&
      JSON.stringify([...got.unresolved].sort()) !== JSON.stringify(c.unmatched)
    ) {
      failures.push(
        `${where}: unresolved ${JSON.stringify(got.unresolved)}, BuildKit ${JSON.stringify(c.unmatched)}`,
      );
    }
  }
  assert.deepEqual(failures, []);
  assert.equal(cases.length, 56);
});
