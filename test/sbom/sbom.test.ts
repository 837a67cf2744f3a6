// SBOMs: the neutral model from a lock, purls, and SPDX 2.3 / CycloneDX 1.6
// documents checked against the official JSON schemas.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { LockedPackage } from "../../src/apt/types.ts";
import { isCudasealError } from "../../src/errors.ts";
import { type Lock, serializeLock } from "../../src/resolve/index.ts";
import {
  cyclonedxDocument,
  cyclonedxSerialNumber,
  debPurl,
  SBOM_FORMATS,
  sbomModel,
  spdxDocument,
  spdxPackageId,
} from "../../src/sbom/index.ts";
import { cyclonedxValidator, spdxValidator, type Validate } from "../helpers/sbom-schemas.ts";

const DIGEST = `sha256:${"ab".repeat(32)}`;
const CREATED = "2024-05-06T07:08:09Z";

function assertValid(validate: Validate, doc: unknown): void {
  const ok = validate(doc);
  assert.ok(ok, JSON.stringify(validate.errors, null, 2));
}

function pkg(name: string, version: string, extra: Partial<LockedPackage> = {}): LockedPackage {
  const sha256 = (name.length.toString(16) + version.length.toString(16)).padEnd(64, "0");
  return {
    name,
    version,
    arch: "amd64",
    source: name,
    sourceVersion: version,
    url: `http://127.0.0.1:9/debian/pool/main/${name}_${version}_amd64.deb`,
    filename: `pool/main/${name}_${version}_amd64.deb`,
    size: 1234,
    sha256,
    dependsOn: [],
    ...extra,
  };
}

// Deliberately unsorted, with a dependency on a host-provided package (libcuda1) not in the list.
const PACKAGES: LockedPackage[] = [
  pkg("zlib1g", "1:1.3.dfsg+really1.3.1-1+b1", {
    source: "zlib",
    sourceVersion: "1:1.3.dfsg+really1.3.1-1",
    dependsOn: ["libc6"],
  }),
  pkg("libstdc++6", "14.2.0-19", { source: "gcc-14", dependsOn: ["libgcc-s1", "libc6"] }),
  pkg("libgcc-s1", "14.2.0-19", { source: "gcc-14", dependsOn: ["libc6"] }),
  pkg("libattr1", "1:2.3-4", { source: "attr", dependsOn: ["libc6"] }),
  pkg("libcudart12", "12.4.131~12.4.1-1", {
    source: "nvidia-cuda-toolkit",
    dependsOn: ["libc6", "libcuda1", "libstdc++6"],
  }),
  pkg("libc6", "2.41-12"),
];

function model() {
  return sbomModel(
    { name: "registry.test/cuda:12", digest: DIGEST, created: CREATED, arch: "amd64" },
    PACKAGES,
  );
}

test("purls percent-encode the name and version and qualify the source", () => {
  assert.equal(debPurl(pkg("libc6", "2.41-12")), "pkg:deb/debian/libc6@2.41-12?arch=amd64&distro=debian-13");
  assert.equal(
    debPurl(pkg("libattr1", "1:2.3-4", { source: "attr" })),
    "pkg:deb/debian/libattr1@1%3A2.3-4?arch=amd64&distro=debian-13&upstream=attr",
  );
  assert.equal(
    debPurl(pkg("libcudart12", "12.4.131~12.4.1-1")),
    "pkg:deb/debian/libcudart12@12.4.131~12.4.1-1?arch=amd64&distro=debian-13",
  );
  assert.equal(
    debPurl(pkg("libstdc++6", "14.2.0-19+b1", { source: "gcc-14", sourceVersion: "14.2.0-19" })),
    "pkg:deb/debian/libstdc%2B%2B6@14.2.0-19%2Bb1?arch=amd64&distro=debian-13&upstream=gcc-14%4014.2.0-19",
  );
});

test("the model sorts packages, keeps only dependencies the image holds, and normalises the time", () => {
  const m = sbomModel({ digest: DIGEST, created: "2024-05-06T09:08:09.500+02:00", arch: "amd64" }, PACKAGES);
  assert.deepEqual(
    m.packages.map((p) => p.name),
    ["libattr1", "libc6", "libcudart12", "libgcc-s1", "libstdc++6", "zlib1g"],
  );
  assert.deepEqual(m.packages.find((p) => p.name === "libcudart12")?.dependsOn, ["libc6", "libstdc++6"]);
  assert.equal(m.image.created, "2024-05-06T07:08:09Z");
  assert.equal(m.image.name, DIGEST);
});

test("a bad digest, time or a package listed twice is IMAGE_INVALID", () => {
  const image = { digest: DIGEST, created: CREATED, arch: "amd64" };
  for (const bad of [
    () => sbomModel({ ...image, digest: "sha256:xyz" }, PACKAGES),
    () => sbomModel({ ...image, created: "yesterday" }, PACKAGES),
    () => sbomModel(image, [...PACKAGES, pkg("libc6", "2.41-13")]),
  ]) {
    assert.throws(bad, (err) => isCudasealError(err, "IMAGE_INVALID"));
  }
});

test("SPDX IDs are valid, distinct for distinct names, and stable", () => {
  const names = ["libstdc++6", "libstdc.2B.2B6", "python3.13", "python3-13", "a.b", "a..b", "a+b"];
  const ids = names.map(spdxPackageId);
  for (const id of ids) assert.match(id, /^SPDXRef-[a-zA-Z0-9.-]+$/);
  assert.equal(new Set(ids).size, names.length);
  assert.equal(spdxPackageId("libstdc++6"), "SPDXRef-Package-deb-libstdc.2B.2B6");
});

test("the SPDX 2.3 document validates against the official schema and links everything", () => {
  const validate = spdxValidator();
  const doc = spdxDocument(model()) as {
    documentNamespace: string;
    creationInfo: { created: string };
    packages: { SPDXID: string; name: string; checksums: { checksumValue: string }[] }[];
    relationships: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[];
  };
  assertValid(validate, doc);
  assert.equal(doc.creationInfo.created, CREATED);
  assert.ok(doc.documentNamespace.endsWith(DIGEST.replace(":", "-")));
  assert.equal(doc.packages.length, PACKAGES.length + 1);
  const ids = new Set(doc.packages.map((p) => p.SPDXID));
  assert.equal(ids.size, doc.packages.length);
  for (const r of doc.relationships) {
    if (r.spdxElementId !== "SPDXRef-DOCUMENT") assert.ok(ids.has(r.spdxElementId), r.spdxElementId);
    assert.ok(ids.has(r.relatedSpdxElement), r.relatedSpdxElement);
  }
  const count = (type: string) => doc.relationships.filter((r) => r.relationshipType === type).length;
  assert.equal(count("DESCRIBES"), 1);
  assert.equal(count("CONTAINS"), PACKAGES.length);
  assert.equal(count("DEPENDS_ON"), 1 + 2 + 1 + 1 + 2);
  assert.ok(
    doc.relationships.some(
      (r) =>
        r.spdxElementId === spdxPackageId("libcudart12") &&
        r.relationshipType === "DEPENDS_ON" &&
        r.relatedSpdxElement === spdxPackageId("libstdc++6"),
    ),
  );
});

test("the CycloneDX 1.6 BOM validates against the official schema and its graph is closed", () => {
  const validate = cyclonedxValidator();
  const bom = cyclonedxDocument(model()) as {
    serialNumber: string;
    metadata: { timestamp: string; component: { "bom-ref": string; type: string } };
    components: { "bom-ref": string; purl: string }[];
    dependencies: { ref: string; dependsOn: string[] }[];
  };
  assertValid(validate, bom);
  assert.equal(bom.serialNumber, cyclonedxSerialNumber(DIGEST));
  assert.match(
    bom.serialNumber,
    /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
  assert.notEqual(bom.serialNumber, cyclonedxSerialNumber(`sha256:${"cd".repeat(32)}`));
  assert.equal(bom.metadata.timestamp, CREATED);
  assert.equal(bom.metadata.component.type, "container");
  const refs = new Set([bom.metadata.component["bom-ref"], ...bom.components.map((c) => c["bom-ref"])]);
  assert.equal(refs.size, PACKAGES.length + 1);
  for (const c of bom.components) assert.equal(c["bom-ref"], c.purl);
  for (const d of bom.dependencies) {
    assert.ok(refs.has(d.ref), d.ref);
    for (const to of d.dependsOn) assert.ok(refs.has(to), to);
  }
});

test("the same input gives byte-identical documents, whatever the input order", () => {
  const reversed = sbomModel(
    { name: "registry.test/cuda:12", digest: DIGEST, created: CREATED, arch: "amd64" },
    [...PACKAGES].reverse().map((p) => ({ ...p, dependsOn: [...p.dependsOn].reverse() })),
  );
  for (const format of Object.values(SBOM_FORMATS)) {
    const first = format.render(model());
    assert.equal(format.render(model()), first);
    assert.equal(format.render(reversed), first);
    assert.ok(first.endsWith("}\n"));
  }
});

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test("cudaseal sbom prints the SBOM of a lock's architecture", () => {
  const dir = mkdtempSync(join(tmpdir(), "cudaseal-sbom-"));
  dirs.push(dir);
  const lock: Lock = {
    lockfileVersion: 1,
    request: { packages: ["libcudart12"], arches: ["amd64"] },
    sources: [{ uri: "http://127.0.0.1:9/debian", suite: "trixie", component: "main" }],
    // A real lock only names locked packages in dependsOn.
    arches: {
      amd64: [...PACKAGES]
        .map((p) => ({ ...p, dependsOn: p.dependsOn.filter((d) => d !== "libcuda1") }))
        .sort((a, b) => (a.name < b.name ? -1 : 1)),
    },
  };
  const lockPath = join(dir, "lock.json");
  writeFileSync(lockPath, serializeLock(lock));
  const bin = new URL("../../bin/cudaseal.js", import.meta.url).pathname;
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, [bin, "sbom", "--lock", lockPath, ...args], {
      encoding: "utf8",
      env: { ...process.env, SOURCE_DATE_EPOCH: "", ...env },
    });

  const spdx = run(["--digest", DIGEST, "--created", CREATED, "--name", "registry.test/cuda:12"]);
  assert.equal(spdx.status, 0, spdx.stderr);
  assert.equal(spdx.stdout, SBOM_FORMATS.spdx.render(model()));

  const cdx = run(["--digest", DIGEST, "--format", "cyclonedx"], { SOURCE_DATE_EPOCH: "1714979289" });
  assert.equal(cdx.status, 0, cdx.stderr);
  assert.equal(JSON.parse(cdx.stdout).metadata.timestamp, CREATED);

  assert.equal(run(["--digest", DIGEST]).status, 2, "no created time");
  assert.equal(run(["--digest", DIGEST, "--created", CREATED, "--arch", "arm64"]).status, 2);
  assert.equal(run(["--digest", DIGEST, "--created", CREATED, "--format", "swid"]).status, 2);

  // A device that never ends is INPUT_NOT_REGULAR, a lock that cannot be read LOCK_INVALID: exit 1, not a crash.
  for (const [bad, code] of [
    ["/dev/zero", /INPUT_NOT_REGULAR/],
    [join(dir, "no-such-lock.json"), /LOCK_INVALID/],
  ] as const) {
    const r = spawnSync(
      process.execPath,
      [bin, "sbom", "--lock", bad, "--digest", DIGEST, "--created", CREATED],
      {
        encoding: "utf8",
      },
    );
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, code);
  }
});

const PD = { id: "LicenseRef-public-domain", name: "public-domain", text: "No rights reserved." };

test("licences, package files and unowned files from a build validate and link up", () => {
  const file = (path: string) => ({
    path,
    sha256: createHash("sha256").update(path).digest("hex"),
    sha1: createHash("sha1").update(path).digest("hex"),
  });
  const shared = file("/usr/share/doc/gcc-14-base/README");
  const m = sbomModel(
    { name: "registry.test/cuda:12", digest: DIGEST, created: CREATED, arch: "amd64" },
    PACKAGES,
    {
      licenses: new Map([
        ["libc6", { expression: "LGPL-2.1-or-later AND LicenseRef-public-domain", refs: [PD] }],
        ["libgcc-s1", { expression: "GPL-3.0-or-later WITH GCC-exception-3.1", refs: [] }],
        ["libstdc++6", { expression: "LicenseRef-public-domain", refs: [{ ...PD, text: "other words" }] }],
      ]),
      // Two packages of one source may ship the same path: one file element, contained by both.
      packageFiles: new Map([
        ["libgcc-s1", [file("/usr/lib/x86_64-linux-gnu/libgcc_s.so.1"), shared]],
        ["libstdc++6", [shared, file("/usr/lib/x86_64-linux-gnu/libstdc++.so.6")]],
      ]),
      unowned: [file("/opt/app/serve.py"), file("/opt/app/kernel.so")],
    },
  );
  assert.deepEqual(
    m.files.map((f) => f.path),
    ["/opt/app/kernel.so", "/opt/app/serve.py"],
  );
  assert.deepEqual(m.licenseRefs, [PD], "the first package by name words a shared LicenseRef");
  const spdx = spdxDocument(m) as {
    files: { SPDXID: string; fileName: string }[];
    relationships: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[];
    hasExtractedLicensingInfos: unknown[];
  };
  assertValid(spdxValidator(), spdx);
  assertValid(cyclonedxValidator(), cyclonedxDocument(m));
  assert.equal(spdx.files.length, 5);
  assert.equal(new Set(spdx.files.map((f) => f.SPDXID)).size, 5);
  const sharedId = spdx.files.find((f) => f.fileName === `.${shared.path}`)?.SPDXID;
  assert.deepEqual(
    spdx.relationships.filter((r) => r.relatedSpdxElement === sharedId).map((r) => r.spdxElementId),
    [spdxPackageId("libgcc-s1"), spdxPackageId("libstdc++6")],
  );
  assert.deepEqual(spdx.hasExtractedLicensingInfos, [
    { licenseId: PD.id, name: PD.name, extractedText: PD.text },
  ]);
});
