import assert from "node:assert/strict";
import { test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { canonicalJson } from "../../src/oci/canonical-json.ts";

test("keys are sorted at every depth and there is no whitespace", () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: "x" } }),
    '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}',
  );
});

test("insertion order does not change the output", () => {
  assert.equal(canonicalJson({ x: 1, y: 2 }), canonicalJson({ y: 2, x: 1 }));
});

test("undefined members are left out and undefined array items become null", () => {
  assert.equal(canonicalJson({ a: undefined, b: [undefined] }), '{"b":[null]}');
});

test("keys sort by UTF-16 code units, as RFC 8785 says", () => {
  assert.equal(canonicalJson({ é: 1, z: 2, Z: 3, "10": 4, "9": 5 }), '{"10":4,"9":5,"Z":3,"z":2,"é":1}');
});

test("strings are escaped as JSON.stringify escapes them", () => {
  assert.equal(canonicalJson({ s: 'a"b\\c\n\u0001<>&' }), '{"s":"a\\"b\\\\c\\n\\u0001<>&"}');
});

test("non-finite numbers, functions and dates are refused", () => {
  for (const bad of [
    { n: Number.NaN },
    { n: Number.POSITIVE_INFINITY },
    { f: () => 1 },
    { d: new Date(0) },
  ]) {
    assert.throws(
      () => canonicalJson(bad),
      (err) => isCudasealError(err, "INTERNAL"),
    );
  }
});
