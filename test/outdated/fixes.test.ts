// Which advisories an update fixes, and when it counts as a security update:
// the bounds of `installed < fixed <= candidate`, by source version, as dpkg
// compares versions; and lock deltas in both directions.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { LockedPackage } from "../../src/apt/types.ts";
import { advisoriesBySource, checkUpdates, fixesOf, isSecuritySuite } from "../../src/outdated/fixes.ts";
import { installedUpdates, lockDelta, type PackageUpdate } from "../../src/outdated/updates.ts";
import type { Lock } from "../../src/resolve/index.ts";
import type { Advisory } from "../../src/scan/index.ts";

const update = (over: Partial<PackageUpdate> = {}): PackageUpdate => ({
  name: "libc6",
  arch: "amd64",
  installed: "2.41-12+b1",
  candidate: "2.41-12+deb13u1",
  source: "glibc",
  installedSourceVersion: "2.41-12",
  candidateSourceVersion: "2.41-12+deb13u1",
  suite: "trixie-security",
  repository: "http://127.0.0.1:1/debian-security trixie-security main",
  ...over,
});

const advisory = (id: string, fixedVersion: string | undefined, over: Partial<Advisory> = {}): Advisory => ({
  id,
  source: "glibc",
  release: "trixie",
  state: "resolved",
  fixedVersion,
  severity: "high",
  description: id,
  ...over,
});

test("an advisory counts when installed < fixed <= candidate, by source version", () => {
  const bySource = advisoriesBySource(
    [
      advisory("CVE-EQUAL-CANDIDATE", "2.41-12+deb13u1"),
      advisory("CVE-BETWEEN", "2.41-12+deb13u0", { severity: "medium" }),
      advisory("CVE-NEWER", "2.41-13"),
      advisory("CVE-ALREADY", "2.41-12"),
      advisory("CVE-NEVER", "0"),
      advisory("CVE-OPEN", undefined, { state: "open" }),
      advisory("CVE-OTHER-RELEASE", "2.41-12+deb13u1", { release: "bookworm" }),
      advisory("CVE-LATER-BUG", "2.41-12+deb13u1", { introduced: "2.42-1" }),
      advisory("CVE-OTHER-SOURCE", "9", { source: "zlib" }),
    ],
    "trixie",
  );
  assert.deepEqual(
    fixesOf(update(), bySource).map((f) => f.id),
    ["CVE-EQUAL-CANDIDATE", "CVE-BETWEEN"],
  );
});

test("an update is for security when it fixes an advisory or comes from a security suite, and not otherwise", () => {
  const bySource = advisoriesBySource([advisory("CVE-1", "2.41-13")], "trixie");
  const [fromSecurity, fixing, plain] = checkUpdates(
    [
      update(),
      update({ suite: "trixie-updates", candidateSourceVersion: "2.41-13" }),
      update({ suite: "trixie-updates" }),
    ],
    bySource,
  );
  assert.equal(fromSecurity.security, true);
  assert.deepEqual(fromSecurity.fixes, []);
  assert.equal(fixing.security, true);
  assert.deepEqual(
    fixing.fixes.map((f) => f.id),
    ["CVE-1"],
  );
  assert.equal(plain.security, false);
  assert.equal(isSecuritySuite("noble-security"), true);
  assert.equal(isSecuritySuite("trixie"), false);
  assert.equal(isSecuritySuite("security/"), false);
});

const locked = (name: string, version: string, suite = "trixie"): LockedPackage => ({
  name,
  version,
  arch: "amd64",
  source: name,
  sourceVersion: version,
  url: `http://127.0.0.1:1/debian/pool/${name}_${version}_amd64.deb`,
  filename: `pool/${name}_${version}_amd64.deb`,
  size: 1,
  sha256: "0".repeat(64),
  dependsOn: [],
  repository: `http://127.0.0.1:1/debian ${suite} main`,
});

const lockOf = (packages: LockedPackage[]): Lock => ({
  lockfileVersion: 1,
  request: { packages: ["a"], arches: ["amd64"] },
  sources: [],
  arches: { amd64: packages },
});

test("a lock delta sorts updates, downgrades, new and dropped dependencies apart", () => {
  const delta = lockDelta(
    lockOf([locked("a", "1.0"), locked("b", "2.0"), locked("gone", "1")]),
    lockOf([locked("a", "1.1", "trixie-security"), locked("b", "1.9"), locked("new", "3")]),
  );
  assert.deepEqual(
    delta.updates.map((u) => [u.name, u.installed, u.candidate, u.suite]),
    [["a", "1.0", "1.1", "trixie-security"]],
  );
  assert.deepEqual(
    delta.downgrades.map((u) => [u.name, u.candidate]),
    [["b", "1.9"]],
  );
  assert.deepEqual(delta.added, [{ name: "new", arch: "amd64", version: "3" }]);
  assert.deepEqual(delta.removed, [{ name: "gone", arch: "amd64", version: "1" }]);
});

test("installed packages are updates only when the candidate is newer as dpkg compares, and missing when none is offered", () => {
  const candidates: Record<string, string> = { a: "1:1.0", b: "1.0~rc1", c: "1.0" };
  const { updates, missing } = installedUpdates(
    [
      { name: "a", version: "2.0" },
      { name: "b", version: "1.0" },
      { name: "c", version: "1.0" },
      { name: "d", version: "1" },
    ],
    "amd64",
    (name) =>
      candidates[name] === undefined
        ? undefined
        : {
            version: candidates[name],
            source: name,
            sourceVersion: candidates[name],
            suite: "trixie",
            repository: "r",
          },
  );
  assert.deepEqual(
    updates.map((u) => [u.name, u.candidate]),
    [["a", "1:1.0"]],
  );
  assert.deepEqual(missing, [{ name: "d", arch: "amd64", version: "1" }]);
});
