import assert from "node:assert/strict";
import { test } from "node:test";
import {
  formatAlternatives,
  formatRelation,
  parseDependsField,
  parseRelation,
  parseRelationList,
} from "../../src/apt/relations.ts";
import { isCudasealError } from "../../src/errors.ts";

test("groups, alternatives, versions and arch qualifiers", () => {
  const deps = parseDependsField(
    "libc6 (>= 2.34), libcuda1 (>= 550) | libcuda.so.1 (>= 550) | libcuda-12.4-1, python3:any, libfoo:native (= 1:2.0~rc1-1)",
  );
  assert.deepEqual(deps, [
    [{ name: "libc6", op: ">=", version: "2.34" }],
    [
      { name: "libcuda1", op: ">=", version: "550" },
      { name: "libcuda.so.1", op: ">=", version: "550" },
      { name: "libcuda-12.4-1" },
    ],
    [{ name: "python3", archQualifier: "any" }],
    [{ name: "libfoo", archQualifier: "native", op: "=", version: "1:2.0~rc1-1" }],
  ]);
});

test("whitespace is tolerated everywhere it may appear", () => {
  const deps = parseDependsField("  a(>=1.0) ,b ( << 2 )|c\n  (= 3),\n d ,");
  assert.deepEqual(deps, [
    [{ name: "a", op: ">=", version: "1.0" }],
    [
      { name: "b", op: "<<", version: "2" },
      { name: "c", op: "=", version: "3" },
    ],
    [{ name: "d" }],
  ]);
  assert.deepEqual(parseDependsField(undefined), []);
  assert.deepEqual(parseDependsField(""), []);
});

test("legacy < and > mean <= and >=, a bare version means =", () => {
  assert.deepEqual(parseRelation("a (< 1)"), { name: "a", op: "<=", version: "1" });
  assert.deepEqual(parseRelation("a (> 1)"), { name: "a", op: ">=", version: "1" });
  assert.deepEqual(parseRelation("a (1.0)"), { name: "a", op: "=", version: "1.0" });
});

test("architecture restrictions are applied for the given arch, kept otherwise", () => {
  const field = "a [amd64 arm64], b [!amd64], c [linux-any] | d, e [i386] | f";
  assert.deepEqual(parseDependsField(field, { arch: "amd64" }), [
    [{ name: "a" }],
    [{ name: "c" }, { name: "d" }],
    [{ name: "f" }],
  ]);
  assert.deepEqual(parseDependsField(field, { arch: "i386" }), [
    [{ name: "b" }],
    [{ name: "c" }, { name: "d" }],
    [{ name: "e" }, { name: "f" }],
  ]);
  assert.equal(parseDependsField(field).length, 4);
});

test("build profiles: with no profile active only negated groups hold", () => {
  assert.deepEqual(
    parseDependsField("a <!nocheck>, b <nocheck>, c <nocheck> <!nodoc>, d (>= 1) [amd64] <!cross !nocheck>", {
      arch: "amd64",
    }),
    [[{ name: "a" }], [{ name: "c" }], [{ name: "d", op: ">=", version: "1" }]],
  );
});

test("flat lists: Provides, Conflicts, Breaks", () => {
  assert.deepEqual(parseRelationList("libcuda-12.0-1, libcuda.so.1 (= 550.163.01), libcuda1-any"), [
    { name: "libcuda-12.0-1" },
    { name: "libcuda.so.1", op: "=", version: "550.163.01" },
    { name: "libcuda1-any" },
  ]);
  assert.throws(
    () => parseRelationList("a | b"),
    (err) => isCudasealError(err, "APT_RELEASE_INVALID"),
  );
});

test("malformed relations are refused with a code", () => {
  for (const text of [
    "a (>= )",
    "a (>= 1",
    "a (=> 1)",
    "(>= 1)",
    "a b",
    "a:",
    "a:Any",
    "a (>= 1) (<< 2)",
    "a [amd64 !i386]",
    "a <>",
    "-a",
  ]) {
    assert.throws(
      () => parseDependsField(text),
      (err) => isCudasealError(err, "APT_RELEASE_INVALID"),
      text,
    );
  }
});

test("formatting writes Debian's spelling", () => {
  assert.equal(formatRelation({ name: "libfoo2", op: ">=", version: "3" }), "libfoo2 (>= 3)");
  assert.equal(formatRelation({ name: "python3", archQualifier: "any" }), "python3:any");
  assert.equal(formatAlternatives(parseDependsField("a (>= 1)|b")[0]), "a (>= 1) | b");
});
