// The files and licences of an image cudaseal did not build: licences from
// each package's copyright file, every file no package owns with its
// checksums, each package's files with --files, ownership through dpkg's
// .list and md5sums files, Conffiles and merged-/usr links, and the
// documents valid and the same bytes every time.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { writeDockerArchive } from "../../src/oci/docker-archive.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { imageSbomModel } from "../../src/sbom/image-sbom.ts";
import { cyclonedxDocument, SBOM_FORMATS, spdxDocument } from "../../src/sbom/index.ts";
import { cyclonedxValidator, spdxValidator } from "../helpers/sbom-schemas.ts";
import { makeLayer, platformImage } from "../oci/fixture-image.ts";

const DEP5 = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: foo

Files: *
Copyright: 2024 Foo Authors
License: GPL-2+ or Artistic

Files: debian/*
Copyright: 2024 A Maintainer
License: public-domain

License: public-domain
 No rights reserved.
`;

const LIBFOO = "the foo library\n";
const BAR_CONF = "bar=1\n";
const MAIN_PY = "print('hello')\n";

const STATUS = `Package: libfoo1
Status: install ok installed
Architecture: amd64
Version: 1.0-1

Package: libfoo-dev
Status: install ok installed
Architecture: amd64
Source: libfoo
Version: 1.0-1

Package: bar
Status: install ok installed
Architecture: amd64
Version: 2.0-1
Conffiles:
 /etc/bar.conf ${md5(BAR_CONF)}
`;

function md5(text: string): string {
  return createHash("md5").update(text).digest("hex");
}

function digestOf(text: string) {
  return {
    sha256: createHash("sha256").update(text).digest("hex"),
    sha1: createHash("sha1").update(text).digest("hex"),
  };
}

let dir: string;
let layout: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "cudaseal-image-files-"));
  const base = makeLayer(dir, "base", {
    lib: { symlink: "usr/lib" },
    "usr/lib/x86_64-linux-gnu/libfoo.so.1": LIBFOO,
    "usr/share/doc/libfoo1/copyright": DEP5,
    "usr/share/doc/libfoo-dev": { symlink: "libfoo1" },
    "usr/bin/bar": "#!bar\n",
    "usr/share/doc/bar/copyright": "This is bar, written by someone.\nIt is free software.\n",
    "etc/bar.conf": BAR_CONF,
    "etc/passwd": "root:x:0:0:root:/root:/sbin/nologin\n",
    "var/lib/dpkg/status": STATUS,
    // dpkg lists paths as the package shipped them: /lib here is /usr/lib in the image.
    "var/lib/dpkg/info/libfoo1:amd64.list":
      "/.\n/lib\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/libfoo.so.1\n/usr/share/doc/libfoo1/copyright\n",
    "var/lib/dpkg/info/bar.md5sums": `${md5("#!bar\n")}  usr/bin/bar\n${md5("x")}  usr/share/doc/bar/copyright\n`,
  });
  const app = makeLayer(dir, "app", {
    "app/main.py": MAIN_PY,
    "app/model.bin": "weights",
    "var/log/app.log": "generated\n",
  });
  layout = join(dir, "layout");
  const image = { platforms: [platformImage("amd64", [base, app])], tag: "v1" };
  await writeOciLayout(layout, image);
  await writeDockerArchive(join(dir, "image.tar"), image, { tag: "vendor/app:1" });
});
after(() => rm(dir, { recursive: true, force: true }));

test("each package's licence comes from its copyright file, NOASSERTION when not DEP-5", async () => {
  const model = await imageSbomModel(`oci:${layout}`);
  const license = Object.fromEntries(model.packages.map((p) => [p.name, p.license]));
  assert.deepEqual(license, {
    bar: undefined,
    // Its doc directory is a link to libfoo1's.
    "libfoo-dev": "(GPL-2.0-or-later OR Artistic-1.0-Perl) AND LicenseRef-public-domain",
    libfoo1: "(GPL-2.0-or-later OR Artistic-1.0-Perl) AND LicenseRef-public-domain",
  });
  assert.deepEqual(model.licenseRefs, [
    { id: "LicenseRef-public-domain", name: "public-domain", text: "No rights reserved." },
  ]);
  const spdx = spdxDocument(model) as {
    packages: { name: string; licenseDeclared: string }[];
    hasExtractedLicensingInfos: { licenseId: string }[];
  };
  assert.equal(spdx.packages.find((p) => p.name === "bar")?.licenseDeclared, "NOASSERTION");
  assert.equal(
    spdx.packages.find((p) => p.name === "libfoo1")?.licenseDeclared,
    "(GPL-2.0-or-later OR Artistic-1.0-Perl) AND LicenseRef-public-domain",
  );
  assert.deepEqual(
    spdx.hasExtractedLicensingInfos.map((l) => l.licenseId),
    ["LicenseRef-public-domain"],
  );
  const cdx = cyclonedxDocument(model) as { components: { name: string; licenses?: unknown }[] };
  assert.deepEqual(cdx.components.find((c) => c.name === "libfoo1")?.licenses, [
    { expression: "(GPL-2.0-or-later OR Artistic-1.0-Perl) AND LicenseRef-public-domain" },
  ]);
  assert.equal(cdx.components.find((c) => c.name === "bar")?.licenses, undefined);
});

test("the files no package owns are always listed with their checksums; generated ones are not", async () => {
  const model = await imageSbomModel(`oci:${layout}`);
  assert.deepEqual(model.files, [
    { path: "/app/main.py", ...digestOf(MAIN_PY) },
    { path: "/app/model.bin", ...digestOf("weights") },
  ]);
  for (const p of model.packages) assert.equal(p.files, undefined, "package files only with --files");

  const spdx = spdxDocument(model) as {
    files: { SPDXID: string; fileName: string; checksums: { algorithm: string; checksumValue: string }[] }[];
    relationships: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[];
  };
  const main = spdx.files.find((f) => f.fileName === "./app/main.py");
  assert.ok(main);
  assert.deepEqual(main.checksums, [
    { algorithm: "SHA1", checksumValue: digestOf(MAIN_PY).sha1 },
    { algorithm: "SHA256", checksumValue: digestOf(MAIN_PY).sha256 },
  ]);
  assert.ok(
    spdx.relationships.some(
      (r) =>
        r.spdxElementId === "SPDXRef-Image" &&
        r.relationshipType === "CONTAINS" &&
        r.relatedSpdxElement === main.SPDXID,
    ),
  );
  const cdx = cyclonedxDocument(model) as {
    components: { type: string; name: string; "bom-ref"?: string }[];
  };
  assert.deepEqual(
    cdx.components.filter((c) => c.type === "file").map((c) => [c.name, c["bom-ref"]]),
    [
      ["/app/main.py", "file:/app/main.py"],
      ["/app/model.bin", "file:/app/model.bin"],
    ],
  );
});

test("--files gives each package its files: .list through merged /usr, md5sums, Conffiles", async () => {
  const model = await imageSbomModel(`oci:${layout}`, { files: true });
  const files = Object.fromEntries(model.packages.map((p) => [p.name, p.files?.map((f) => f.path)]));
  assert.deepEqual(files, {
    bar: ["/etc/bar.conf", "/usr/bin/bar", "/usr/share/doc/bar/copyright"],
    "libfoo-dev": undefined,
    libfoo1: ["/usr/lib/x86_64-linux-gnu/libfoo.so.1", "/usr/share/doc/libfoo1/copyright"],
  });
  const lib = model.packages.find((p) => p.name === "libfoo1")?.files?.[0];
  assert.deepEqual(lib, { path: "/usr/lib/x86_64-linux-gnu/libfoo.so.1", ...digestOf(LIBFOO) });
  assert.deepEqual(
    model.files.map((f) => f.path),
    ["/app/main.py", "/app/model.bin"],
  );

  const spdx = spdxDocument(model) as {
    files: { SPDXID: string; fileName: string }[];
    relationships: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[];
  };
  const libId = spdx.files.find((f) => f.fileName === "./usr/lib/x86_64-linux-gnu/libfoo.so.1")?.SPDXID;
  assert.ok(
    spdx.relationships.some(
      (r) =>
        r.spdxElementId === "SPDXRef-Package-deb-libfoo1" &&
        r.relationshipType === "CONTAINS" &&
        r.relatedSpdxElement === libId,
    ),
  );
  const cdx = cyclonedxDocument(model) as {
    components: { name: string; components?: { type: string; name: string; hashes: unknown[] }[] }[];
  };
  const nested = cdx.components.find((c) => c.name === "libfoo1")?.components;
  assert.deepEqual(
    nested?.map((c) => [c.type, c.name, c.hashes.length]),
    [
      ["file", "/usr/lib/x86_64-linux-gnu/libfoo.so.1", 2],
      ["file", "/usr/share/doc/libfoo1/copyright", 2],
    ],
  );
});

test("with and without --files the documents validate and are the same bytes every time", async () => {
  const spdx = spdxValidator();
  const cdx = cyclonedxValidator();
  for (const files of [false, true]) {
    const model = await imageSbomModel(`oci:${layout}`, { files });
    assert.ok(spdx(spdxDocument(model)), JSON.stringify(spdx.errors));
    assert.ok(cdx(cyclonedxDocument(model)), JSON.stringify(cdx.errors));
    const again = await imageSbomModel(`oci:${layout}`, { files });
    for (const format of ["spdx", "cyclonedx"] as const) {
      assert.equal(SBOM_FORMATS[format].render(again), SBOM_FORMATS[format].render(model));
    }
    // Another transport of the same image: the same packages, licences and files.
    const archive = await imageSbomModel(`docker-archive:${join(dir, "image.tar")}`, { files });
    assert.deepEqual(archive.packages, model.packages);
    assert.deepEqual(archive.files, model.files);
  }
});

test("cudaseal sbom IMAGE --files prints them; --files with a lock is USAGE", () => {
  const bin = new URL("../../bin/cudaseal.js", import.meta.url).pathname;
  const run = (args: string[]) => spawnSync(process.execPath, [bin, "sbom", ...args], { encoding: "utf8" });
  const cdx = run([`oci:${layout}`, "--files", "--format", "cyclonedx"]);
  assert.equal(cdx.status, 0, cdx.stderr);
  const bom = JSON.parse(cdx.stdout) as { components: { name: string; components?: { name: string }[] }[] };
  assert.deepEqual(
    bom.components.find((c) => c.name === "bar")?.components?.map((c) => c.name),
    ["/etc/bar.conf", "/usr/bin/bar", "/usr/share/doc/bar/copyright"],
  );
  const lock = run(["--lock", "x.json", "--digest", `sha256:${"0".repeat(64)}`, "--files"]);
  assert.equal(lock.status, 2);
  assert.match(lock.stderr, /error \[USAGE\]/);
});
