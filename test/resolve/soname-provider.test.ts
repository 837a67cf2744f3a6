// The link check's guess at the package that ships a missing soname, from
// Debian's library package naming, Provides, and NVIDIA's names.

import assert from "node:assert/strict";
import { test } from "node:test";
import { AvailablePackages } from "../../src/apt/available.ts";
import type { PackageRecord } from "../../src/apt/types.ts";
import { sonamePackageNames, sonameProvider } from "../../src/resolve/index.ts";

function record(name: string, provides: string[] = []): PackageRecord {
  return {
    name,
    arch: "amd64",
    repo: { uri: "http://127.0.0.1:1/debian", suite: "trixie", component: "main", priority: 500 },
    provides: provides.map((p) => ({ name: p })),
  } as unknown as PackageRecord;
}

test("Debian's names for a soname: libfooN, libfoo2-N where the name ends in a digit, _ as -, t64", () => {
  assert.deepEqual(sonamePackageNames("libcudart.so.12"), ["libcudart12", "libcudart12t64"]);
  assert.deepEqual(sonamePackageNames("libgcc_s.so.1"), ["libgcc-s1", "libgcc-s1t64"]);
  assert.deepEqual(sonamePackageNames("libnppc2.so.12"), ["libnppc2-12", "libnppc2-12t64"]);
  assert.deepEqual(sonamePackageNames("libz.so.1.3"), ["libz1.3", "libz1.3t64", "libz1", "libz1t64"]);
  assert.deepEqual(sonamePackageNames("not-a-library"), []);
});

test("the provider is a package by that name, one that Provides it, one extending it, or NVIDIA's", () => {
  const provider = sonameProvider(
    AvailablePackages.fromRecords(
      [
        record("libcudart12"),
        record("libssl3t64", ["libssl3"]),
        record("libcublas-12-2"),
        record("libcublas-12-8"),
        record("cuda-nvrtc-12-8"),
        record("zlib1g"),
      ],
      "amd64",
    ),
  );
  assert.equal(provider("libcudart.so.12"), "libcudart12");
  assert.equal(provider("libssl.so.3"), "libssl3t64");
  assert.equal(provider("libcublas.so.12"), "libcublas-12-8");
  assert.equal(provider("libnvrtc.so.12"), "cuda-nvrtc-12-8");
  assert.equal(provider("libz.so.1"), undefined, "zlib1g's name says nothing of libz");
  assert.equal(provider("libfoo.so.1"), undefined);
});
