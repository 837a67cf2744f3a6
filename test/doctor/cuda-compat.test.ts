// The driver/CUDA table and NVIDIA_REQUIRE_CUDA as the container toolkit
// reads it: real requirement strings (ours, and the official CUDA images'
// with their forward-compatibility brand clauses) against real driver versions.

import assert from "node:assert/strict";
import { test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import {
  checkDriver,
  compareDriverVersions,
  compatTable,
  driverCudaVersion,
  minimumDriverFor,
  parseRequireCuda,
} from "../../src/image/cuda-compat.ts";
import { requireCuda } from "../../src/image/cuda-version.ts";

// As the official nvidia/cuda 12.4.1 images set it (trimmed to two brands per branch).
const OFFICIAL_12_4 =
  "cuda>=12.4 brand=tesla,driver>=470,driver<471 brand=unknown,driver>=470,driver<471 " +
  "brand=tesla,driver>=525,driver<526 brand=tesla,driver>=535,driver<536 brand=nvidia,driver>=535,driver<536";

test("driver versions compare component by component as numbers", () => {
  assert.ok(compareDriverVersions("470.82.01", "470.239.06") < 0);
  assert.ok(compareDriverVersions("550.54.15", "550.54.14") > 0);
  assert.equal(compareDriverVersions("570.26", "570.26.0"), 0);
  assert.ok(compareDriverVersions("1000.1", "999.99.99") > 0);
  assert.throws(
    () => compareDriverVersions("550.x", "1"),
    (e) => isCudasealError(e, "DRIVER_VERSION_INVALID"),
  );
});

test("the table names its source and holds the release notes' values", () => {
  const t = compatTable();
  assert.match(t.source.url, /cuda-toolkit-release-notes/);
  assert.equal(minimumDriverFor("12.4.1").full, "550.54.15");
  assert.equal(minimumDriverFor("12.4").full, "550.54.14");
  assert.equal(minimumDriverFor("12.0").full, "525.60.13");
  assert.equal(minimumDriverFor("12.1").full, "530.30.02");
  assert.equal(minimumDriverFor("12.2").full, "535.54.03");
  assert.equal(minimumDriverFor("12.3").full, "545.23.06");
  assert.equal(minimumDriverFor("12.5").full, "555.42.02");
  assert.equal(minimumDriverFor("12.6").full, "560.28.03");
  assert.equal(minimumDriverFor("12.8").full, "570.26");
  assert.equal(minimumDriverFor("11.8").full, "520.61.05");
  assert.equal(minimumDriverFor("12.6").minorVersionCompat, "525.60.13");
  assert.equal(minimumDriverFor("11.4").minorVersionCompat, "450.80.02");
  // An update without a row of its own takes the newest row before it.
  assert.equal(minimumDriverFor("12.6.9").full, "560.35.05");
  assert.equal(minimumDriverFor("10.2").minorVersionCompat, undefined);
  // Newest first, every driver a valid version.
  const rows = t.toolkitReleases.rows;
  for (let i = 1; i < rows.length; i++) assert.ok(compareDriverVersions(rows[i - 1].cuda, rows[i].cuda) > 0);
});

test("a driver reports the CUDA version of its branch", () => {
  assert.equal(driverCudaVersion("550.54.15"), "12.4");
  assert.equal(driverCudaVersion("535.183.01"), "12.2");
  assert.equal(driverCudaVersion("470.256.02"), "11.4");
  assert.equal(driverCudaVersion("551.1"), "12.4");
  assert.equal(driverCudaVersion("300.1"), undefined);
});

test("NVIDIA_REQUIRE_CUDA: spaces OR clauses, commas AND constraints", () => {
  const r = parseRequireCuda(OFFICIAL_12_4);
  assert.equal(r.cuda, "12.4");
  assert.equal(r.clauses.length, 6);
  assert.deepEqual(r.clauses[1], [
    { key: "brand", op: "=", value: "tesla" },
    { key: "driver", op: ">=", value: "470" },
    { key: "driver", op: "<", value: "471" },
  ]);
  // What our own builds write parses to the same CUDA.
  assert.equal(parseRequireCuda(requireCuda({ major: 12, minor: 8, full: "12.8.1" })).cuda, "12.8");
  for (const bad of ["cuda>>12", "gpu>=1", "cuda>=twelve", "driver>=470;rm"]) {
    assert.throws(
      () => parseRequireCuda(bad),
      (e) => isCudasealError(e, "CUDA_REQUIREMENT_INVALID"),
      bad,
    );
  }
});

test("checkDriver: a new enough driver runs the image fully", () => {
  const c = checkDriver("550.54.15", "cuda>=12.4");
  assert.equal(c.ok, true);
  assert.equal(c.viaMinorVersionCompat, false);
  assert.equal(c.minimum, "550.54.14");
  assert.equal(c.driverCuda, "12.4");
  assert.equal(checkDriver("580.65.06", "cuda>=12.8").ok, true);
  // The 590 branch reports CUDA 13.1; a 580 driver runs 13.1 only through minor version compatibility.
  const newest = checkDriver("590.44.01", "cuda>=13.1");
  assert.deepEqual([newest.ok, newest.driverCuda, newest.minimum], [true, "13.1", "590.44.01"]);
  const older = checkDriver("580.95.05", "cuda>=13.1");
  assert.deepEqual([older.ok, older.viaMinorVersionCompat, older.driverCuda], [true, true, "13.0"]);
  assert.equal(checkDriver("470.1", undefined).ok, true);
  assert.equal(checkDriver("470.1", "").ok, true);
});

test("checkDriver: an older driver of the same major runs through minor version compatibility", () => {
  const c = checkDriver("535.104.05", "cuda>=12.4");
  assert.equal(c.ok, true);
  assert.equal(c.viaMinorVersionCompat, true);
  assert.equal(c.minimum, "550.54.14");
  assert.match(c.reason, /NVIDIA_DISABLE_REQUIRE/);
  // Below the 12.x floor it does not.
  const old = checkDriver("520.61.05", "cuda>=12.0");
  assert.equal(old.ok, false);
  assert.equal(old.viaMinorVersionCompat, false);
  // Another major never does.
  assert.equal(checkDriver("550.54.15", "cuda>=13.0").ok, false);
});

test("checkDriver: brand clauses are forward compatibility and need the GPU's brand", () => {
  const unknown = checkDriver("470.239.06", OFFICIAL_12_4);
  assert.equal(unknown.ok, false);
  assert.match(unknown.reason, /forward compatibility/);
  const tesla = checkDriver("470.239.06", OFFICIAL_12_4, { brand: "Tesla" });
  assert.equal(tesla.ok, true);
  assert.equal(tesla.viaForwardCompat, true);
  const geforce = checkDriver("470.239.06", OFFICIAL_12_4, { brand: "geforce" });
  assert.equal(geforce.ok, false);
  // A 535 data center driver is accepted outright by its branch clause, not by minor version compatibility.
  const dc = checkDriver("535.183.01", OFFICIAL_12_4, { brand: "nvidia" });
  assert.equal(dc.ok, true);
  assert.equal(dc.viaForwardCompat, true);
  assert.equal(dc.viaMinorVersionCompat, false);
});
