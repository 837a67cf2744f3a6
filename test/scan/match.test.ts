import assert from "node:assert/strict";
import { test } from "node:test";
import type { Advisory } from "../../src/scan/advisory.ts";
import { debianCodename } from "../../src/scan/debian-release.ts";
import { debianTrackerAdvisories } from "../../src/scan/debian-tracker.ts";
import { matchFindings } from "../../src/scan/match.ts";
import { osvAdvisories } from "../../src/scan/osv.ts";
import { OSV_RECORDS, PACKAGES, TRACKER } from "./fixture.ts";

const row = (f: ReturnType<typeof matchFindings>[number]) =>
  [f.id, f.package, f.installed, f.fixedVersion ?? "-", f.severity, f.status].join(" ");

test("tracker entries match installed packages by source, worst first", () => {
  const findings = matchFindings(PACKAGES, debianTrackerAdvisories(TRACKER), "bookworm");
  assert.deepEqual(findings.map(row), [
    "CVE-2024-0001 libc6 2.36-9+deb12u4+b1 2.36-9+deb12u7 high fixed",
    "CVE-2024-0010 tzdata 2024a-0+deb12u1 2024a-0+deb12u2 medium fixed",
    "CVE-2024-0012 tzdata 2024a-0+deb12u1 - medium wont-fix",
    // no-dsa: the fix comes in a point release, so it is open, not wont-fix.
    "CVE-2024-0005 libc6 2.36-9+deb12u4+b1 - low open",
    // An epoch beats any version without one.
    "CVE-2024-0020 base-files 12.4+deb12u5 1:12.0 low fixed",
    // deb12u6~pre1 sorts before deb12u6 but after deb12u5.
    "CVE-2024-0022 base-files 12.4+deb12u5 12.4+deb12u6~pre1 low fixed",
    "CVE-2024-0004 libc6 2.36-9+deb12u4+b1 - negligible open",
    "CVE-2024-0011 tzdata 2024a-0+deb12u1 - unknown wont-fix",
    "TEMP-0000000-ABCDEF libc6 2.36-9+deb12u4+b1 - unknown open",
  ]);
  assert.equal(findings[0].source, "glibc");
  assert.equal(findings[0].description, "glibc: fixed in a later point release");
  // Fixed in the installed source version, never affected, fixed by a tilde
  // version older than installed, or an apk package: no finding.
  const ids = findings.map((f) => f.id);
  for (const id of ["CVE-2023-0002", "CVE-2023-0003", "CVE-2024-0021", "CVE-2024-0030"])
    assert.ok(!ids.includes(id));
});

test("the release picks the tracker's entries", () => {
  const trixie = matchFindings(PACKAGES, debianTrackerAdvisories(TRACKER), "trixie");
  assert.deepEqual(
    trixie.map(row),
    [
      "CVE-2024-0006 libc6 2.36-9+deb12u4+b1 - high open",
      "CVE-2024-0001 libc6 2.36-9+deb12u4+b1 2.40-1 high fixed",
    ].sort(),
  );
});

test("OSV ranges match with introduced and fixed bounds", () => {
  const advisories = OSV_RECORDS.flatMap((r) => osvAdvisories(r));
  assert.deepEqual(matchFindings(PACKAGES, advisories, "bookworm").map(row), [
    "DSA-5000-1 libc6 2.36-9+deb12u4+b1 2.36-9+deb12u7 high fixed",
    "DEBIAN-CVE-2024-0040 tzdata 2024a-0+deb12u1 - unknown open",
  ]);
});

test("one id reported by several ranges is one finding, the fixable one", () => {
  const base = { id: "CVE-1", source: "glibc", severity: "high", description: "" } as const;
  const advisories: Advisory[] = [
    { ...base, state: "open" },
    { ...base, state: "resolved", fixedVersion: "3.0" },
  ];
  const findings = matchFindings(PACKAGES, advisories, "bookworm");
  assert.equal(findings.length, 1);
  assert.equal(findings[0].status, "fixed");
});

test("the codename comes from VERSION_CODENAME, else VERSION_ID", () => {
  assert.equal(debianCodename('ID=debian\nVERSION_ID="13"\nVERSION_CODENAME=trixie\n'), "trixie");
  assert.equal(debianCodename('ID=debian\nVERSION_ID="13"\n'), "trixie");
  assert.equal(debianCodename("ID=debian\nVERSION_ID=12\n"), "bookworm");
  assert.equal(debianCodename("ID=debian\n"), undefined);
  assert.equal(debianCodename('VERSION_ID="99"\n'), undefined);
});
