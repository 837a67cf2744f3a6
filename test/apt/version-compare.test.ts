import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { compareVersions, isValidVersion, satisfies, versionProblem } from "../../src/apt/version-compare.ts";

// Decided by `dpkg --compare-versions`; regenerate with scripts/gen-version-table.sh.
const table = readFileSync(new URL("../fixtures/version-pairs.tsv", import.meta.url), "utf8")
  .split("\n")
  .filter(Boolean)
  .map((line) => line.split("\t") as [string, string, "<" | "=" | ">"]);

test("the fixture table is big enough to mean something", () => {
  assert.ok(table.length >= 3000, `only ${table.length} pairs`);
  for (const want of ["<", "=", ">"]) assert.ok(table.some((row) => row[2] === want));
});

test("every pair compares as dpkg does, in both directions", () => {
  const wrong: string[] = [];
  for (const [a, b, want] of table) {
    const got = Math.sign(compareVersions(a, b));
    const back = Math.sign(compareVersions(b, a));
    const expected = want === "<" ? -1 : want === "=" ? 0 : 1;
    if (got !== expected || back !== -expected)
      wrong.push(`${a} ${want} ${b} (got ${got}, reversed ${back})`);
  }
  assert.deepEqual(wrong, []);
});

test("every version in the table is valid", () => {
  const invalid = table.flatMap((row) => row.slice(0, 2)).filter((v) => !isValidVersion(v));
  assert.deepEqual(invalid, []);
});

test("tilde sorts before the end of the string, letters before other characters", () => {
  assert.ok(compareVersions("1.0~rc1", "1.0") < 0);
  assert.ok(compareVersions("1.0~~", "1.0~") < 0);
  assert.ok(compareVersions("1.0a", "1.0+") < 0);
  assert.ok(compareVersions("1.0", "1.0a") < 0);
  assert.ok(compareVersions("12.4.127~12.4.1-2", "12.4.127") < 0);
});

test("numbers of any length compare numerically, ignoring leading zeros", () => {
  assert.equal(compareVersions("1.000000000000000000000000001", "1.1"), 0);
  assert.ok(compareVersions("99999999999999999999999999", "99999999999999999999999998") > 0);
  assert.ok(compareVersions("1:0", "99999999999999999999999999") > 0);
  assert.equal(compareVersions("0:1.0", "1.0"), 0);
  assert.equal(compareVersions("1.0", "1.0-0"), 0);
});

test("satisfies applies each operator", () => {
  assert.ok(satisfies("2.36-9+deb12u7", ">=", "2.34"));
  assert.ok(!satisfies("2.36-9+deb12u7", "<<", "2.36"));
  assert.ok(satisfies("1:2.0~rc1", "<<", "1:2.0"));
  assert.ok(satisfies("1.0", "=", "0:1.0-0"));
  assert.ok(satisfies("2", ">>", "1"));
  assert.ok(satisfies("1", "<=", "1"));
});

test("versionProblem reports dpkg's errors and warnings", () => {
  assert.equal(versionProblem("1.0-1"), undefined);
  assert.equal(versionProblem("1:2.3:4-1"), undefined);
  assert.equal(versionProblem("")?.level, "error");
  assert.equal(versionProblem("1.0 2")?.level, "error");
  assert.equal(versionProblem(":1.0")?.level, "error");
  assert.equal(versionProblem("a:1.0")?.level, "error");
  assert.equal(versionProblem("1:")?.level, "error");
  assert.equal(versionProblem("1.0-")?.level, "error");
  assert.equal(versionProblem("99999999999:1")?.level, "error");
  assert.equal(versionProblem("v1.0")?.level, "warning");
  assert.equal(versionProblem("1.0_1")?.level, "warning");
  assert.equal(versionProblem("1.0-1:2")?.level, "error");
  assert.equal(isValidVersion("v1.0"), false);
});
