// PEP 440 versions and specifiers, checked against the spec's own examples
// and against pip's `packaging` (the reference implementation, vendored in
// Debian's python3-pip) over a matrix of awkward versions and specifiers.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { CudasealError } from "../../src/errors.ts";
import {
  compareVersions,
  normalizeVersion,
  parseSpecifiers,
  parseVersion,
  satisfies,
  versionsEqual,
} from "../../src/python/index.ts";
import { DEBIAN_PYTHON } from "../helpers/wheels.ts";

const VERSIONS = [
  "1.0.dev456",
  "1.0a1",
  "1.0a2.dev456",
  "1.0a12.dev456",
  "1.0a12",
  "1.0b1.dev456",
  "1.0b2",
  "1.0b2.post345.dev456",
  "1.0b2.post345",
  "1.0rc1.dev456",
  "1.0rc1",
  "1.0",
  "1.0+abc.5",
  "1.0+abc.7",
  "1.0+5",
  "1.0.post456.dev34",
  "1.0.post456",
  "1.0.15",
  "1.1.dev1",
  "2.0",
  "2.0.0",
  "2.0.1",
  "2.1rc1",
  "2.2.0",
  "2.3.1",
  "3.0.0.post1",
  "10.0",
  "1!0.5",
  "1!1.0",
  "1.0+local.1",
  "1.0+local.A",
  "1.0+2",
  "1.0+10",
];

const SPECIFIERS = [
  "==1.0",
  "==1.0.0",
  "==1.0+5",
  "==1.0.*",
  "==1.*",
  "!=1.0",
  "!=1.0.*",
  ">1.0",
  ">=1.0",
  "<1.0",
  "<=1.0",
  "<1.0rc1",
  ">1.0.post456",
  "~=1.0",
  "~=2.2",
  "~=2.2.0",
  "~=1.0b1",
  ">=1.0a1",
  "<2.0",
  ">1.0b2",
  "===1.0",
  "==1!1.0",
  ">=1!0",
  ">=1.0, <2",
  ">=1.0, !=1.0.15",
];

test("versions sort as PEP 440's own example list does", () => {
  // The spec's ordering example, in order.
  const ordered = [
    "1.0.dev456",
    "1.0a1",
    "1.0a2.dev456",
    "1.0a12.dev456",
    "1.0a12",
    "1.0b1.dev456",
    "1.0b2",
    "1.0b2.post345.dev456",
    "1.0b2.post345",
    "1.0rc1.dev456",
    "1.0rc1",
    "1.0",
    "1.0+abc.5",
    "1.0+abc.7",
    "1.0+5",
    "1.0.post456.dev34",
    "1.0.post456",
    "1.0.15",
    "1.1.dev1",
  ];
  const shuffled = [...ordered].reverse();
  assert.deepEqual(shuffled.sort(compareVersions), ordered);
});

test("alternative spellings normalise to the canonical form, and equal releases compare equal", () => {
  assert.equal(normalizeVersion("1.0-RC-1"), "1.0rc1");
  assert.equal(normalizeVersion("v2.0.0"), "2.0.0");
  assert.equal(normalizeVersion("1.0alpha2"), "1.0a2");
  assert.equal(normalizeVersion("1.0c3"), "1.0rc3");
  assert.equal(normalizeVersion("1.0-1"), "1.0.post1");
  assert.equal(normalizeVersion("1.0.rev2"), "1.0.post2");
  assert.equal(normalizeVersion("1.0dev"), "1.0.dev0");
  assert.equal(normalizeVersion("2.5.1+CU121-x"), "2.5.1+cu121.x");
  assert.ok(versionsEqual("1.0", "1.0.0.0"));
  assert.ok(!versionsEqual("1.0", "1.0+local"));
  assert.equal(compareVersions("1.99999999999999999999", "1.99999999999999999998"), 1);
});

test("a string that is not PEP 440 is refused as PY_LOCK_INVALID", () => {
  for (const bad of ["", "1.0-", "latest", "1..0", "1.0+", "1.0+a+b", "x".repeat(300)])
    assert.throws(
      () => parseVersion(bad),
      (e: unknown) => e instanceof CudasealError && e.code === "PY_LOCK_INVALID",
      bad,
    );
  assert.throws(
    () => parseSpecifiers(">=1.0.*"),
    (e: unknown) => e instanceof CudasealError && e.code === "PY_LOCK_INVALID",
  );
  assert.throws(
    () => parseSpecifiers("~=1"),
    (e: unknown) => e instanceof CudasealError && e.code === "PY_LOCK_INVALID",
  );
});

test("specifiers keep packaging's subtle rules for pre-releases, post-releases and local labels", () => {
  const s = (spec: string, v: string, prereleases?: boolean) =>
    satisfies(v, parseSpecifiers(spec), { prereleases });
  assert.equal(s("<1.0", "1.0rc1", true), false, "<1.0 does not admit 1.0's own pre-releases");
  assert.equal(s("<1.0rc2", "1.0rc1"), true, "a pre-release in the specifier admits pre-releases");
  assert.equal(s(">1.0", "1.0.post1"), false);
  assert.equal(s(">1.0", "1.0+local"), false);
  assert.equal(s(">1.0.post1", "1.0.post2"), true);
  assert.equal(s("==1.0", "1.0+cu121"), true, "== without a local label ignores the candidate's");
  assert.equal(s("==1.0+cu121", "1.0+cu118"), false);
  assert.equal(s("~=2.2", "2.9"), true);
  assert.equal(s("~=2.2", "3.0"), false);
  assert.equal(s("~=2.2.0", "2.3"), false);
  assert.equal(s(">=1.0", "2.0b1"), false, "pre-releases are left out unless asked for");
  assert.equal(s(">=1.0", "2.0b1", true), true);
  assert.equal(s("==1!1.0", "1.0"), false, "epochs count");
  // Since packaging 22 (its issue 788) < and > naming a pre-release admit pre-releases too.
  assert.equal(s(">1.0b2", "2.1rc1"), true);
  assert.equal(s("<1.0rc1", "1.0b2"), true);
  assert.equal(s("<1.0", "0.9rc1"), false);
});

/**
 * packaging's answers for the matrix, computed by Debian's pip's vendored
 * copy. The pre-release policy is given explicitly: the copy in Debian 12's
 * pip (21.3) predates packaging 22's rule for < and >, which we follow.
 */
function packagingAnswers(): { order: string[]; contains: boolean[][] } | undefined {
  const script = `
import json, sys
from functools import cmp_to_key
from pip._vendor.packaging.version import Version
from pip._vendor.packaging.specifiers import SpecifierSet
data = json.load(sys.stdin)
order = sorted(data["versions"], key=Version)
contains = [[SpecifierSet(s).contains(v, prereleases=p) for s in data["specs"] for p in (False, True)] for v in data["versions"]]
print(json.dumps({"order": order, "contains": contains}))
`;
  try {
    const out = execFileSync(DEBIAN_PYTHON, ["-c", script], {
      input: JSON.stringify({ versions: VERSIONS, specs: SPECIFIERS }),
    });
    return JSON.parse(out.toString());
  } catch {
    return undefined;
  }
}

test("ordering and specifier matching agree with pip's packaging on a matrix of awkward cases", (t) => {
  const reference = packagingAnswers();
  if (reference === undefined) {
    t.skip("Debian's python3-pip is not installed");
    return;
  }
  const ours = [...VERSIONS].sort(compareVersions);
  // Equal versions (2.0 and 2.0.0) may sit either way round; compare by rank.
  assert.deepEqual(
    ours.map((v) => reference.order.findIndex((r) => compareVersions(r, v) === 0)),
    reference.order.map((v) => reference.order.findIndex((r) => compareVersions(r, v) === 0)),
  );
  const mismatches: string[] = [];
  for (const [i, v] of VERSIONS.entries()) {
    let k = 0;
    for (const spec of SPECIFIERS) {
      for (const prereleases of [false, true]) {
        const want = reference.contains[i]?.[k++];
        const got = satisfies(v, parseSpecifiers(spec), { prereleases });
        if (got !== want)
          mismatches.push(`${v} in ${spec} (prereleases ${prereleases}): ours ${got}, packaging ${want}`);
      }
    }
  }
  assert.deepEqual(mismatches, []);
});
