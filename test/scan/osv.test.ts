import assert from "node:assert/strict";
import { test } from "node:test";
import { osvAdvisories } from "../../src/scan/osv.ts";
import { OSV_RECORDS } from "./fixture.ts";

test("an OSV record's Debian ranges become advisories for each release", () => {
  const all = osvAdvisories(OSV_RECORDS[0]);
  assert.deepEqual(
    all.map((a) => [a.source, a.release, a.state, a.introduced, a.fixedVersion, a.severity]),
    [
      ["glibc", "bookworm", "resolved", "0", "2.36-9+deb12u7", "high"],
      ["glibc", "trixie", "resolved", "0", "2.40-1", "unknown"],
    ],
  );
  assert.equal(all[0].description, "glibc security update");
  assert.equal(osvAdvisories(OSV_RECORDS[0], { release: "bookworm" }).length, 1);
});

test("an interval with no fixed event is open; an ecosystem with no release fits any", () => {
  const [a] = osvAdvisories(OSV_RECORDS[1], { release: "trixie" });
  assert.equal(a.state, "open");
  assert.equal(a.release, undefined);
  assert.equal(a.severity, "unknown", "CVSS vectors are not scored");
});

test("only ECOSYSTEM ranges count; severity words are read", () => {
  assert.deepEqual(
    osvAdvisories(OSV_RECORDS[3]).map((a) => a.state),
    ["resolved"],
  );
  assert.equal(osvAdvisories(OSV_RECORDS[2])[0].severity, "medium");
  const scored = { ...OSV_RECORDS[1], severity: [{ type: "CVSS_V3", score: "9.8" }] };
  assert.equal(osvAdvisories(scored)[0].severity, "critical");
});

test("malformed records and other ecosystems give nothing", () => {
  for (const bad of [null, 5, "x", {}, { id: 1, affected: [] }, { id: "X", affected: "no" }])
    assert.deepEqual(osvAdvisories(bad), []);
  const other = {
    id: "GHSA-1",
    affected: [
      {
        package: { ecosystem: "npm", name: "glibc" },
        ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }] }],
      },
      {
        package: { ecosystem: "Debian:99", name: "glibc" },
        ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }] }],
      },
      {
        package: { ecosystem: "Debian:12", name: "glibc" },
        ranges: [{ type: "ECOSYSTEM", events: ["x", { fixed: "1" }] }],
      },
      "junk",
    ],
  };
  assert.deepEqual(osvAdvisories(other), []);
});
