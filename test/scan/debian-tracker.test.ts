import assert from "node:assert/strict";
import { test } from "node:test";
import { debianTrackerAdvisories, isDebianTracker } from "../../src/scan/debian-tracker.ts";
import { TRACKER } from "./fixture.ts";

test("every status of the tracker becomes an advisory state", () => {
  const advisories = debianTrackerAdvisories(TRACKER, { release: "bookworm" });
  const byId = new Map(advisories.map((a) => [`${a.source} ${a.id}`, a]));
  assert.deepEqual(byId.get("glibc CVE-2024-0001"), {
    id: "CVE-2024-0001",
    source: "glibc",
    release: "bookworm",
    severity: "high",
    description: "glibc: fixed in a later point release",
    state: "resolved",
    fixedVersion: "2.36-9+deb12u7",
  });
  assert.equal(byId.get("glibc CVE-2023-0003")?.fixedVersion, "0");
  assert.equal(byId.get("glibc CVE-2024-0004")?.state, "open");
  assert.equal(byId.get("glibc CVE-2024-0004")?.severity, "negligible");
  // no-dsa with no reason: minor, fixed in a point release, so open.
  assert.equal(byId.get("glibc CVE-2024-0005")?.state, "open");
  assert.equal(byId.get("glibc TEMP-0000000-ABCDEF")?.state, "open");
  assert.equal(byId.get("glibc TEMP-0000000-ABCDEF")?.severity, "unknown");
  assert.equal(byId.get("tzdata-src CVE-2024-0011")?.state, "wont-fix");
  assert.equal(byId.get("tzdata-src CVE-2024-0012")?.state, "wont-fix");
  assert.equal(byId.get("base-files CVE-2024-0022")?.severity, "low");
});

test("malformed entries are skipped, and other releases left out", () => {
  const ids = debianTrackerAdvisories(TRACKER, { release: "bookworm" }).map((a) => a.id);
  for (const id of ["CVE-2024-0006", "CVE-2024-0007", "CVE-2024-0008", "CVE-2024-0009"])
    assert.ok(!ids.includes(id), id);
  const all = debianTrackerAdvisories(TRACKER);
  assert.ok(all.some((a) => a.id === "CVE-2024-0006" && a.release === "trixie"));
});

test("hostile keys and values do not crash the parser", () => {
  const hostile = JSON.parse(
    '{"__proto__": {"CVE-1": {"releases": {"bookworm": {"status": "open", "urgency": "high"}}}},' +
      '"constructor": [], "x": {"CVE-2": {"releases": {"bookworm": {"status": "resolved", "fixed_version": 7}}}}}',
  );
  const advisories = debianTrackerAdvisories(hostile);
  assert.deepEqual(
    advisories.map((a) => [a.source, a.id, a.state]),
    [["__proto__", "CVE-1", "open"]],
  );
  assert.equal(({} as Record<string, unknown>)["CVE-1"], undefined);
});

test("a tracker document is told apart from an OSV record", () => {
  assert.equal(isDebianTracker(TRACKER), true);
  assert.equal(isDebianTracker({ id: "DSA-1", affected: [] }), false);
  assert.equal(isDebianTracker([]), false);
});
