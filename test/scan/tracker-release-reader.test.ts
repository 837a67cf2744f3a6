// The targeted reader must give exactly what parsing the whole document and
// walking it gives, on the fixture (with its malformed and hostile entries),
// on a generated document of every shape, and refuse what is not JSON.

import assert from "node:assert/strict";
import { test } from "node:test";
import { syntheticTracker } from "../../bench/synthetic-tracker.ts";
import { isCudasealError } from "../../src/errors.ts";
import { debianTrackerAdvisories } from "../../src/scan/debian-tracker.ts";
import { shortDescription, trackerReleaseAdvisories } from "../../src/scan/tracker-compact.ts";
import { readTrackerRelease } from "../../src/scan/tracker-release-reader.ts";
import { OSV_RECORDS, TRACKER } from "./fixture.ts";

const bytes = (text: string) => Buffer.from(text);

function same(text: string, release: string) {
  const expected = debianTrackerAdvisories(JSON.parse(text), { release });
  assert.deepEqual(readTrackerRelease(bytes(text), release), expected, release);
  assert.deepEqual(
    trackerReleaseAdvisories(bytes(text), release),
    debianTrackerAdvisories(JSON.parse(text), { release, description: shortDescription }),
  );
}

test("the reader gives what JSON.parse and a full walk give", () => {
  for (const release of ["bookworm", "trixie", "sid"]) {
    same(JSON.stringify(TRACKER), release);
    same(JSON.stringify(TRACKER, null, 2), release);
  }
  const synthetic = syntheticTracker({ sources: 40, entries: 400, seed: 7 });
  for (const release of ["bullseye", "forky"]) same(synthetic, release);
});

test("escapes, unicode, long descriptions and odd shapes are read as JSON.parse reads them", () => {
  const long = `${"é".repeat(150)}\\n${"x".repeat(500)}`;
  const doc = `{
    "caf\\u00e9": {"CVE-1": {"releases": {"book\\u0077orm": {"status": "open", "urgency": "high"}},
                              "description": "quote \\" backslash \\\\ tab\\t ${long}"}},
    "arr": [{"CVE-2": {"releases": {"bookworm": {"status": "open"}}}}],
    "num": {"CVE-3": 5, "CVE-4": {"releases": [1, {"bookworm": {}}]}, "CVE-5": {"releases": {"bookworm": "open"}}},
    "__proto__": {"CVE-6": {"description": 7, "releases": {"bookworm": {"status": "resolved", "fixed_version": "1:2.0-1", "x": [true, false, null, -1.5e3]}}}},
    "emoji": {"CVE-7": {"description": "${"😀".repeat(300)}", "releases": {"bookworm": {"status": "undetermined"}}}}
  }`;
  same(doc, "bookworm");
  const long1 = readTrackerRelease(bytes(doc), "bookworm", {
    descriptionChars: 200,
    description: shortDescription,
  });
  assert.ok(long1.every((a) => a.description.length <= 200));
  assert.deepEqual(
    long1.map((a) => `${a.source} ${a.id}`),
    ["café CVE-1", "__proto__ CVE-6", "emoji CVE-7"],
  );
  const emoji = long1[2].description;
  assert.equal(Buffer.from(emoji).toString(), emoji, "no half surrogate pair survives the cut");
});

test("what is not a JSON object, or is an OSV record, is CONFIG_INVALID", () => {
  const bad = [
    "",
    "<html>",
    "[]",
    '"text"',
    "{",
    '{"a": {"b": 1}',
    '{"a": 1}}',
    '{"a" 1}',
    '{"a": 1,}',
    '{"a": {"CVE-1": 1 2}}',
    '{"a": {"CVE-1": {"releases": {"bookworm": {"status": "open"]}}}}',
    '{"a": "unterminated}',
    '{"a": {"CVE-1": {"releases": {"bookworm": {"status": tru}}}}}',
    `${"[".repeat(300)}${"]".repeat(300)}`,
    JSON.stringify(OSV_RECORDS[0]),
  ];
  for (const text of bad) {
    assert.throws(
      () => readTrackerRelease(bytes(text), "bookworm"),
      (err) => isCudasealError(err, "CONFIG_INVALID"),
      text.slice(0, 40),
    );
  }
  assert.deepEqual(readTrackerRelease(bytes(" {} \n"), "bookworm"), []);
});
