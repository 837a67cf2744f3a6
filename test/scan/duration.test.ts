import assert from "node:assert/strict";
import { test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { formatDuration, parseDuration } from "../../src/scan/duration.ts";

test("durations are a number and a unit, or a sum of them", () => {
  assert.equal(parseDuration("72h"), 72 * 3_600_000);
  assert.equal(parseDuration("7d"), 7 * 86_400_000);
  assert.equal(parseDuration("1d12h"), 36 * 3_600_000);
  assert.equal(parseDuration("2w"), 14 * 86_400_000);
  assert.equal(parseDuration(" 30m "), 1_800_000);
  for (const bad of ["", "3", "h", "7 d", "1.5d", "-1d", "7days", "1d 2h"]) {
    assert.throws(
      () => parseDuration(bad, "--max-db-age"),
      (err) => isCudasealError(err, "USAGE"),
      bad,
    );
  }
});

test("ages are written the way people read them", () => {
  assert.equal(formatDuration(0), "0s");
  assert.equal(formatDuration(42_000), "42s");
  assert.equal(formatDuration(5 * 60_000), "5m");
  assert.equal(formatDuration(5 * 3_600_000 + 12 * 60_000), "5h 12m");
  assert.equal(formatDuration(100 * 3_600_000), "4d 4h");
  assert.equal(formatDuration(3 * 86_400_000), "3d");
});
