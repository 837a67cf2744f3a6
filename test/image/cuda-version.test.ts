// The CUDA version an image carries, read from the runtime package installed:
// Debian's libcudart12 by its version, NVIDIA's cuda-cudart-X-Y by its name,
// and the driver floor that NVIDIA_REQUIRE_CUDA then asks of the host.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { LockedPackage } from "../../src/apt/types.ts";
import { checkDriver, minimumDriverFor } from "../../src/image/cuda-compat.ts";
import { installedCudaVersion, requireCuda } from "../../src/image/cuda-version.ts";

function pkg(name: string, version: string): LockedPackage {
  return {
    name,
    version,
    arch: "amd64",
    source: name,
    sourceVersion: version,
    url: `http://127.0.0.1:9/${name}.deb`,
    filename: `${name}.deb`,
    size: 1,
    sha256: "0".repeat(64),
    dependsOn: [],
  };
}

test("Debian's libcudart12 gives the toolkit version after the tilde", () => {
  assert.deepEqual(installedCudaVersion([pkg("libcudart12", "12.4.127~12.4.1-2")]), {
    major: 12,
    minor: 4,
    full: "12.4.1",
  });
});

test("NVIDIA's cuda-cudart-X-Y is CUDA X.Y whatever its library version says", () => {
  // 12.8.90 is libcudart's own version, not a toolkit release.
  assert.deepEqual(installedCudaVersion([pkg("cuda-cudart-12-8", "12.8.90-1")]), {
    major: 12,
    minor: 8,
    full: "12.8",
  });
  // cuda-runtime-X-Y carries the toolkit's version, update included.
  assert.deepEqual(
    installedCudaVersion([pkg("cuda-cudart-12-8", "12.8.90-1"), pkg("cuda-runtime-12-8", "12.8.1-1")]),
    { major: 12, minor: 8, full: "12.8.1" },
  );
  // The highest runtime installed decides.
  assert.deepEqual(
    installedCudaVersion([pkg("cuda-cudart-13-0", "13.0.96-1"), pkg("cuda-cudart-12-8", "12.8.90-1")]),
    { major: 13, minor: 0, full: "13.0" },
  );
});

test("the driver floor follows the cudart installed: 12.8 needs 570.26, 12.9 575.51.03, 13.0 a 580 driver", () => {
  const floor = (name: string, version: string) => {
    const cuda = installedCudaVersion([pkg(name, version)])!;
    return { require: requireCuda(cuda), minimum: minimumDriverFor(cuda.full).full };
  };
  assert.deepEqual(floor("cuda-cudart-12-8", "12.8.90-1"), { require: "cuda>=12.8", minimum: "570.26" });
  assert.deepEqual(floor("cuda-cudart-12-9", "12.9.79-1"), { require: "cuda>=12.9", minimum: "575.51.03" });
  assert.deepEqual(floor("cuda-cudart-13-0", "13.0.96-1"), { require: "cuda>=13.0", minimum: "580.65.06" });
  // A 13.x image on a 575 driver fails; on 580.65.06 it runs.
  assert.equal(checkDriver("575.57.08", "cuda>=13.0").ok, false);
  assert.equal(checkDriver("580.65.06", "cuda>=13.0").ok, true);
});
