// Reading an SBOM back into packages: cudaseal's own SPDX and CycloneDX
// documents give back exactly the packages, sources and release they were
// made from; a syft-style purl list reads the same; damaged documents are
// SBOM_INVALID.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { LockedPackage } from "../../src/apt/types.ts";
import { isCudasealError } from "../../src/errors.ts";
import { parsePurl, SBOM_FORMATS, sbomInventory, sbomModel } from "../../src/sbom/index.ts";

const DIGEST = `sha256:${"cd".repeat(32)}`;

function pkg(name: string, version: string, extra: Partial<LockedPackage> = {}): LockedPackage {
  return {
    name,
    version,
    arch: "amd64",
    source: name,
    sourceVersion: version,
    url: `http://127.0.0.1:9/debian/pool/main/${name}.deb`,
    filename: `pool/main/${name}.deb`,
    size: 1,
    sha256: "0".repeat(64),
    dependsOn: [],
    ...extra,
  };
}

const PACKAGES = [
  pkg("zlib1g", "1:1.3.dfsg+really1.3.1-1+b1", { source: "zlib", sourceVersion: "1:1.3.dfsg+really1.3.1-1" }),
  pkg("libstdc++6", "14.2.0-19", { source: "gcc-14" }),
  pkg("libc6", "2.41-12"),
];

for (const format of ["spdx", "cyclonedx"] as const) {
  test(`a ${format} document cudaseal wrote reads back to the packages, their sources and the release`, () => {
    const model = sbomModel(
      { name: "cuda", digest: DIGEST, created: "2026-01-02T03:04:05Z", arch: "amd64" },
      PACKAGES,
      {
        python: [{ name: "Jinja2", version: "3.1.4" }],
      },
    );
    const inv = sbomInventory(Buffer.from(SBOM_FORMATS[format].render(model)), "sbom");
    assert.equal(inv.format, format);
    assert.equal(inv.describes, DIGEST);
    assert.deepEqual(inv.distro, { id: "debian", versionId: "13" });
    assert.deepEqual(inv.packages, [
      { name: "libc6", version: "2.41-12", arch: "amd64", manager: "dpkg" },
      { name: "libstdc++6", version: "14.2.0-19", arch: "amd64", source: "gcc-14", manager: "dpkg" },
      {
        name: "zlib1g",
        version: "1:1.3.dfsg+really1.3.1-1+b1",
        arch: "amd64",
        source: "zlib",
        sourceVersion: "1:1.3.dfsg+really1.3.1-1",
        manager: "dpkg",
      },
    ]);
    assert.deepEqual(inv.python, [{ name: "jinja2", version: "3.1.4" }]);
  });
}

test("another tool's purls (syft's qualifier order, an npm package) read the same way", () => {
  const doc = {
    bomFormat: "CycloneDX",
    specVersion: "1.5",
    components: [
      {
        type: "library",
        name: "libssl3",
        purl: "pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64&upstream=openssl&distro=debian-12",
      },
      { type: "library", name: "left-pad", purl: "pkg:npm/left-pad@1.3.0" },
      { type: "file", name: "/etc/passwd" },
    ],
  };
  const inv = sbomInventory(Buffer.from(JSON.stringify(doc)), "sbom");
  assert.equal(inv.describes, undefined);
  assert.deepEqual(inv.distro, { id: "debian", versionId: "12" });
  assert.deepEqual(inv.packages, [
    { name: "libssl3", version: "3.0.15-1~deb12u1", arch: "amd64", source: "openssl", manager: "dpkg" },
  ]);
  assert.equal(inv.otherPurls, 1);
});

test("a purl with a malformed percent escape names nothing", () => {
  assert.equal(parsePurl("pkg:deb/debian/x@1%ZZ?arch=amd64"), undefined);
  assert.equal(parsePurl("not a purl"), undefined);
  assert.deepEqual(parsePurl("pkg:deb/debian/libstdc%2B%2B6@1%3A2?arch=amd64"), {
    type: "deb",
    namespace: "debian",
    name: "libstdc++6",
    version: "1:2",
    qualifiers: { arch: "amd64" },
  });
});

const cyclonedx = (purl: string) =>
  JSON.stringify({ bomFormat: "CycloneDX", specVersion: "1.5", components: [{ type: "library", purl }] });

for (const [what, text] of [
  [
    "a deb purl whose version holds a terminal escape",
    cyclonedx("pkg:deb/debian/libc6@2.41%1B%5B2J?arch=amd64"),
  ],
  ["a deb purl whose name is no Debian package's", cyclonedx("pkg:deb/debian/Lib%20C@2.41?arch=amd64")],
  [
    "a deb purl whose source version is not Debian's",
    cyclonedx("pkg:deb/debian/libc6@2.41?upstream=glibc%402%0A"),
  ],
  ["a pypi purl whose version holds a newline", cyclonedx("pkg:pypi/jinja2@3.1%0A4")],
  ["not JSON", "{"],
  ["an array", "[]"],
  ["neither format", '{"hello":1}'],
  ["SPDX without packages", '{"spdxVersion":"SPDX-2.3"}'],
  ["CycloneDX whose components are no array", '{"bomFormat":"CycloneDX","components":{}}'],
] as const) {
  test(`an SBOM that is ${what} is SBOM_INVALID`, () => {
    assert.throws(
      () => sbomInventory(Buffer.from(text), "sbom"),
      (err) => isCudasealError(err, "SBOM_INVALID"),
    );
  });
}
