// Each row of the status table in docs/scanning.md, tested with an excerpt of
// the tracker's own JSON (test/fixtures/debian-tracker/, its SOURCE.md says
// where each is from), through both readers: the whole-document one and the
// streaming one-release one the compact cache is built with. They must agree.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { debianTrackerAdvisories } from "../../src/scan/debian-tracker.ts";
import { type Advisory, type Finding, matchFindings, scanGateFailures } from "../../src/scan/index.ts";
import { trackerReleaseAdvisories } from "../../src/scan/tracker-compact.ts";
import type { InstalledPackage } from "../../src/source/packages.ts";

const FILE = new URL("../fixtures/debian-tracker/status-excerpts.json", import.meta.url);
const BYTES = readFileSync(FILE);
const DATA = JSON.parse(BYTES.toString("utf8")) as Record<string, unknown>;

/** One release's advisories, read both ways, after checking the two agree. */
function advisories(release: string): Advisory[] {
  const whole = debianTrackerAdvisories(DATA, { release });
  const streamed = trackerReleaseAdvisories(BYTES, release);
  const key = (a: Advisory) => `${a.source} ${a.id} ${a.state} ${a.fixedVersion ?? "-"} ${a.severity}`;
  assert.deepEqual(streamed.map(key).sort(), whole.map(key).sort());
  return whole;
}

function pkg(name: string, version: string, source = name): InstalledPackage {
  return { name, version, arch: "amd64", source, manager: "dpkg" };
}

/** The finding `installed` gets from the excerpt's entry `id` in `release`; undefined for none. */
function statusOf(release: string, id: string, installed: InstalledPackage): Finding | undefined {
  return matchFindings([installed], advisories(release), release).find((f) => f.id === id);
}

test("resolved with a fixed version: fixed below it, nothing from it on", () => {
  const old = statusOf("buster", "CVE-2008-7220", pkg("libjs-prototype", "1.6.0.1-1", "prototypejs"));
  assert.equal(old?.status, "fixed");
  assert.equal(old?.fixedVersion, "1.6.0.2-1");
  // `high**`: the tracker marks an urgency it took from elsewhere with stars.
  assert.equal(old?.severity, "high");
  assert.equal(
    statusOf("buster", "CVE-2008-7220", pkg("libjs-prototype", "1.7.1-3", "prototypejs")),
    undefined,
  );
});

test('resolved with fixed_version "0": the release was never affected, so no finding at any version', () => {
  assert.equal(
    statusOf("buster", "CVE-2007-2383", pkg("libjs-prototype", "1.5.0-1", "prototypejs")),
    undefined,
  );
  assert.equal(
    statusOf("buster", "CVE-2007-2383", pkg("libjs-prototype", "1.7.1-3", "prototypejs")),
    undefined,
  );
});

test("open: affected, no fix yet", () => {
  const f = statusOf("buster", "CVE-2023-45853", pkg("zlib1g", "1:1.2.11.dfsg-1+deb10u2", "zlib"));
  assert.equal(f?.status, "open");
  assert.equal(f?.severity, "unknown", "no urgency: unknown, which never trips a gate");
});

test("open with urgency end-of-life: the release gets no more fixes for the package, wont-fix", () => {
  const f = statusOf("buster", "CVE-2022-0456", pkg("chromium", "90.0.4430.212-1~deb10u1"));
  assert.equal(f?.status, "wont-fix");
  // The same entry is fixed in bookworm.
  assert.equal(statusOf("bookworm", "CVE-2022-0456", pkg("chromium", "98.0.4758.70-1"))?.status, "fixed");
});

test('no-dsa with nodsa_reason "": minor, fixed in a point release, so open', () => {
  const f = statusOf("bullseye", "quoted-without-its-id", pkg("libssl1.1", "1.1.1w-0+deb11u1", "openssl"));
  assert.equal(f?.status, "open");
});

test("no-dsa ignored: Debian will not fix it in this release, wont-fix", () => {
  const f = statusOf("bookworm", "CVE-2023-45853", pkg("zlib1g", "1:1.2.13.dfsg-1", "zlib"));
  assert.equal(f?.status, "wont-fix");
});

test("no-dsa postponed: the fix comes with a later update, so open; once the tracker records it, fixed and gated by --only-fixed", () => {
  const installed = pkg("perl-base", "5.40.1-6", "perl");
  const postponed = statusOf("trixie", "postponed-shape", installed);
  assert.equal(postponed?.status, "open");
  // Open findings never fail an --only-fixed gate; without it they count like any other.
  assert.deepEqual(scanGateFailures(postponed ? [{ ...postponed, severity: "low" }] : [], "low", true), []);
  assert.equal(
    scanGateFailures(postponed ? [{ ...postponed, severity: "low" }] : [], "low", false).length,
    1,
  );
  // The point release ships the fix: the tracker's entry becomes resolved, with its version.
  const later = structuredClone(DATA) as Record<
    string,
    Record<string, { releases: Record<string, unknown> }>
  >;
  later.perl["postponed-shape"].releases.trixie = {
    status: "resolved",
    repositories: { trixie: "5.40.1-6+deb13u1" },
    fixed_version: "5.40.1-6+deb13u1",
    urgency: "low",
  };
  const fixed = matchFindings([installed], debianTrackerAdvisories(later, { release: "trixie" }), "trixie");
  assert.equal(fixed[0]?.status, "fixed");
  assert.equal(fixed[0]?.fixedVersion, "5.40.1-6+deb13u1");
  assert.equal(scanGateFailures(fixed, "low", true).length, 1, "now --only-fixed counts it");
});

test("undetermined: not yet known whether affected, counted as open", () => {
  const doc = {
    zlib: {
      "CVE-2023-45853": { releases: { forky: { status: "undetermined", urgency: "not yet assigned" } } },
    },
  };
  const [a] = debianTrackerAdvisories(doc, { release: "forky" });
  assert.equal(a.state, "open");
  assert.equal(a.severity, "unknown");
});
