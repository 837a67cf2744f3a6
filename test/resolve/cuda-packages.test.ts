// cuda:, cudnn: and nccl: turned into package requests against indexes that
// hold NVIDIA's names and versions.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { PackageRecord } from "../../src/apt/types.ts";
import { isCudasealError } from "../../src/errors.ts";
import { expandCudaPackages, publishedCudaVersions } from "../../src/resolve/cuda-packages.ts";
import { packages } from "./helpers.ts";

const NVIDIA = {
  uri: "http://127.0.0.1:9/cuda",
  suite: "debian13/x86_64/",
  component: "debian13/x86_64/",
  priority: 500,
};

function index(text: string, arch = "amd64"): Map<string, PackageRecord[]> {
  return new Map([[arch, packages(text, NVIDIA)]]);
}

const AMD64 = `Package: cuda-cudart-12-8
Version: 12.8.90-1

Package: cuda-cudart-12-9
Version: 12.9.79-1

Package: cuda-cudart-13-0
Version: 13.0.96-1

Package: cuda-cudart-12-10
Version: 12.10.1-1

Package: libnccl2
Version: 2.25.1-1+cuda12.8

Package: libnccl2
Version: 2.21.5-1+cuda12.8

Package: libnccl2
Version: 2.26.5-1+cuda12.9

Package: libnccl2
Version: 2.27.3-1+cuda13.0

Package: libnccl2
Version: 2.27.7-1+cuda13.1
`;

test("cuda: alone adds the runtime of that version", () => {
  assert.deepEqual(expandCudaPackages(["bash"], { cuda: "12.8" }, index(AMD64)), [
    "bash",
    "cuda-cudart-12-8",
  ]);
});

test("placeholders take the version, dashed, and its major; the runtime is then not added", () => {
  assert.deepEqual(
    expandCudaPackages(
      ["libcublas-{cuda}", "cuda-toolkit-{cuda_major}-config-common"],
      { cuda: "13.0" },
      index(AMD64),
    ),
    ["libcublas-13-0", "cuda-toolkit-13-config-common"],
  );
});

test("cudnn: N adds libcudnnN-cuda-<major>", () => {
  assert.deepEqual(expandCudaPackages([], { cuda: "13.0", cudnn: 9 }, index(AMD64)), [
    "cuda-cudart-13-0",
    "libcudnn9-cuda-13",
  ]);
});

test("nccl: pins the newest libnccl2 built for exactly that CUDA version", () => {
  const notes: string[] = [];
  const out = expandCudaPackages([], { cuda: "12.8", nccl: true }, index(AMD64), (n) => notes.push(n));
  assert.deepEqual(out, ["cuda-cudart-12-8", "libnccl2=2.25.1-1+cuda12.8"]);
  assert.deepEqual(notes, []);
  // A bare libnccl2 listed too gives way to the pinned build.
  assert.deepEqual(expandCudaPackages(["libnccl2"], { cuda: "12.8", nccl: true }, index(AMD64)), [
    "cuda-cudart-12-8",
    "libnccl2=2.25.1-1+cuda12.8",
  ]);
  // Never a build for a newer minor (13.1 for 13.0).
  assert.ok(
    expandCudaPackages([], { cuda: "13.0", nccl: true }, index(AMD64)).includes("libnccl2=2.27.3-1+cuda13.0"),
  );
});

test("nccl: falls back to the newest build for an older minor of the same major, and says so", () => {
  const notes: string[] = [];
  const out = expandCudaPackages([], { cuda: "12.10", nccl: true }, index(AMD64), (n) => notes.push(n));
  assert.ok(out.includes("libnccl2=2.26.5-1+cuda12.9"));
  assert.equal(notes.length, 1);
  assert.match(notes[0], /12\.10.*12\.9/);
});

test("nccl: the build chosen exists for every architecture", () => {
  const both = new Map([
    ["amd64", packages(AMD64, NVIDIA)],
    [
      "arm64",
      packages(
        "Package: cuda-cudart-12-8\nVersion: 12.8.90-1\nArchitecture: arm64\n\nPackage: libnccl2\nVersion: 2.21.5-1+cuda12.8\nArchitecture: arm64\n",
        NVIDIA,
      ),
    ],
  ]);
  assert.ok(
    expandCudaPackages([], { cuda: "12.8", nccl: true }, both).includes("libnccl2=2.21.5-1+cuda12.8"),
  );
});

test("nccl: no build for the major at all is CUDA_VERSION_UNAVAILABLE", () => {
  const text =
    "Package: cuda-cudart-12-8\nVersion: 12.8.90-1\n\nPackage: libnccl2\nVersion: 2.27.3-1+cuda13.0\n";
  assert.throws(
    () => expandCudaPackages([], { cuda: "12.8", nccl: true }, index(text)),
    (e) => isCudasealError(e, "CUDA_VERSION_UNAVAILABLE"),
  );
});

test("a version with no cuda-cudart is CUDA_VERSION_UNAVAILABLE listing the published ones, sorted", () => {
  assert.deepEqual(publishedCudaVersions(index(AMD64)), ["12.8", "12.9", "12.10", "13.0"]);
  assert.throws(
    () => expandCudaPackages([], { cuda: "12.7" }, index(AMD64)),
    (e) =>
      isCudasealError(e, "CUDA_VERSION_UNAVAILABLE") &&
      /12\.8, 12\.9, 12\.10, 13\.0/.test(e.message) &&
      JSON.stringify(e.details?.published) === JSON.stringify(["12.8", "12.9", "12.10", "13.0"]),
  );
  // No NVIDIA repository at all: none published.
  assert.throws(
    () => expandCudaPackages([], { cuda: "12.8" }, new Map([["amd64", []]])),
    (e) => isCudasealError(e, "CUDA_VERSION_UNAVAILABLE") && /none/.test(e.message),
  );
});

test("placeholders, cudnn: or nccl: without cuda:, and a malformed cuda:, are SPEC_INVALID", () => {
  const spec = (e: unknown) => isCudasealError(e, "SPEC_INVALID");
  assert.throws(() => expandCudaPackages(["libcublas-{cuda}"], {}, index(AMD64)), spec);
  assert.throws(() => expandCudaPackages([], { cudnn: 9 }, index(AMD64)), spec);
  assert.throws(() => expandCudaPackages([], { nccl: true }, index(AMD64)), spec);
  assert.throws(() => expandCudaPackages([], { cuda: "12" }, index(AMD64)), spec);
  assert.throws(() => expandCudaPackages([], { cuda: "12.8.1" }, index(AMD64)), spec);
  // Without any of them the list is unchanged.
  assert.deepEqual(expandCudaPackages(["bash"], {}, index(AMD64)), ["bash"]);
});
