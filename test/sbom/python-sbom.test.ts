// Python distributions in the SBOM of any image: read from the metadata pip
// and uv leave in site-packages, with pypi purls, licences from
// License-Expression, License or classifiers, RECORD's files, in documents
// that validate against the official SPDX 2.3 and CycloneDX 1.6 schemas.

import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { imageSbomModel } from "../../src/sbom/image-sbom.ts";
import {
  builtImageFacts,
  cyclonedxDocument,
  pypiPurl,
  pythonLicense,
  pythonSbomPackage,
  type SbomModel,
  sbomModel,
  spdxDocument,
  spdxPythonPackageId,
} from "../../src/sbom/index.ts";
import { cyclonedxValidator, spdxValidator } from "../helpers/sbom-schemas.ts";
import { makePythonImage, type PythonImage, SITE, VENV, wheelToolsAvailable } from "./python-image.ts";

const skip = wheelToolsAvailable()
  ? false
  : "Debian's python3-pip, python3-wheel and python3-setuptools are needed";

let dir: string;
let image: PythonImage;
before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), "cudaseal-python-sbom-"));
  image = await makePythonImage(dir);
});
after(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

const python = (m: SbomModel) => m.packages.filter((p) => p.ecosystem === "pypi");

test("pip's and uv's distributions are listed with pypi purls; a Debian package's own egg-info and hostile metadata are not", {
  skip,
}, async () => {
  const model = await imageSbomModel(image.ref);
  assert.deepEqual(
    python(model).map((p) => [p.name, p.version, p.purl, p.license, p.installer]),
    [
      ["Demo-Pkg", "1.2.0", "pkg:pypi/demo-pkg@1.2.0", "MIT", "pip"],
      [
        "insecure.lib",
        "1.4.2",
        "pkg:pypi/insecure.lib@1.4.2",
        "Apache-2.0 AND LicenseRef-BSD-License",
        "pip",
      ],
      ["legacy", "0.9", "pkg:pypi/legacy@0.9", "GPL-3.0-or-later", undefined],
      ["Other_Thing", "2.0", "pkg:pypi/other-thing@2.0", "Apache-2.0 OR MIT", "uv"],
    ],
  );
  // six is python3-six's: dpkg lists it, and its vulnerabilities are Debian's to track.
  assert.deepEqual(
    model.packages.filter((p) => p.ecosystem === undefined).map((p) => p.name),
    ["libc6", "python3-six"],
  );
  for (const p of python(model)) assert.equal(p.sha256, undefined, "a foreign image's wheels are unknown");
  assert.ok(model.licenseRefs.some((r) => r.id === "LicenseRef-BSD-License"));
});

test("RECORD gives each distribution its files, which are then not the user's", { skip }, async () => {
  const model = await imageSbomModel(image.ref, { files: true });
  const other = python(model).find((p) => p.name === "Other_Thing");
  assert.deepEqual(
    other?.files?.map((f) => f.path),
    [
      `/${VENV}/other_thing-2.0.dist-info/METADATA`,
      `/${VENV}/other_thing/__init__.py`,
      `/${VENV}/other_thing/a,b.py`,
    ],
  );
  const demo = python(model).find((p) => p.name === "Demo-Pkg");
  assert.ok(
    demo?.files?.some((f) => f.path === `/${SITE}/demo_pkg/__init__.py` && /^[0-9a-f]{64}$/.test(f.sha256)),
  );
  const unowned = model.files.map((f) => f.path);
  for (const owned of [
    `/${SITE}/demo_pkg/__init__.py`,
    `/${VENV}/other_thing/__init__.py`,
    `/${VENV}/other_thing/a,b.py`,
  ])
    assert.ok(!unowned.includes(owned), owned);
  // Files no RECORD lists stay the user's.
  assert.ok(unowned.includes(`/${VENV}/other_thing/_vendor/inner-1.0.dist-info/METADATA`));
});

test("the documents validate and name every Python distribution by its purl", { skip }, async () => {
  const model = await imageSbomModel(image.ref, { files: true });
  const spdx = spdxDocument(model) as {
    packages: { SPDXID: string; externalRefs?: { referenceLocator: string }[] }[];
  };
  const validateSpdx = spdxValidator();
  assert.ok(validateSpdx(spdx), JSON.stringify(validateSpdx.errors));
  assert.ok(spdx.packages.some((p) => p.SPDXID === spdxPythonPackageId("Demo_Pkg", "1.2.0")));
  const cdx = cyclonedxDocument(model) as { components: { purl?: string; licenses?: unknown }[] };
  const validateCdx = cyclonedxValidator();
  assert.ok(validateCdx(cdx), JSON.stringify(validateCdx.errors));
  assert.deepEqual(cdx.components.find((c) => c.purl === "pkg:pypi/other-thing@2.0")?.licenses, [
    { expression: "Apache-2.0 OR MIT" },
  ]);
});

test("a build's wheels carry their SHA-256 into both formats; two spellings of one release are one package", () => {
  const wheel = "ab".repeat(32);
  const model = sbomModel(
    { digest: `sha256:${"0".repeat(64)}`, created: "2025-01-01T00:00:00Z", arch: "amd64" },
    [],
    {
      python: [
        { name: "Typing_Extensions", version: "4.12.2", sha256: wheel, installer: "cudaseal" },
        { name: "typing-extensions", version: "4.12.2" },
        { name: "six", version: "1.17.0", license: { expression: "MIT", refs: [] } },
      ],
    },
  );
  assert.deepEqual(
    model.packages.map((p) => p.purl),
    ["pkg:pypi/six@1.17.0", "pkg:pypi/typing-extensions@4.12.2"],
  );
  const spdx = spdxDocument(model) as { packages: { name: string; checksums?: unknown }[] };
  assert.ok(spdxValidator()(spdx));
  assert.deepEqual(spdx.packages.find((p) => p.name === "Typing_Extensions")?.checksums, [
    { algorithm: "SHA256", checksumValue: wheel },
  ]);
  const cdx = cyclonedxDocument(model) as { components: { purl: string; hashes?: unknown }[] };
  assert.ok(cyclonedxValidator()(cdx));
  assert.deepEqual(cdx.components.find((c) => c.purl === "pkg:pypi/typing-extensions@4.12.2")?.hashes, [
    { alg: "SHA-256", content: wheel },
  ]);
});

test("pypi purls lower-case the name and write `_` as `-`", () => {
  assert.equal(
    pypiPurl({ name: "Typing_Extensions", version: "4.12.2" }),
    "pkg:pypi/typing-extensions@4.12.2",
  );
  assert.equal(pypiPurl({ name: "torch", version: "2.5.1+cu124" }), "pkg:pypi/torch@2.5.1%2Bcu124");
  assert.equal(pypiPurl({ name: "zope.interface", version: "1!7.0" }), "pkg:pypi/zope.interface@1%217.0");
});

test("licences: License-Expression first, then a License SPDX knows, then classifiers, then the License's name", () => {
  const expr = (fields: Parameters<typeof pythonLicense>[0]) => pythonLicense(fields)?.expression;
  assert.equal(
    expr({ licenseExpression: "mit or (apache-2.0 WITH LLVM-exception)", license: "BSD" }),
    "MIT OR (Apache-2.0 WITH LLVM-exception)",
  );
  assert.equal(expr({ licenseExpression: "MIT OR", license: "BSD" }), "LicenseRef-MIT-OR");
  assert.equal(
    expr({ license: "Apache 2.0", licenseClassifiers: ["License :: OSI Approved :: MIT License"] }),
    "Apache-2.0",
  );
  assert.equal(expr({ license: "BSD-3-Clause" }), "BSD-3-Clause");
  assert.equal(expr({ license: "Apache License, Version 2.0" }), "Apache-2.0");
  assert.equal(expr({ license: "new BSD License" }), "BSD-3-Clause");
  assert.equal(expr({ license: "GPLv2+" }), "GPL-2.0-or-later");
  assert.equal(
    expr({
      license: "Copyright (c) 2005, NumPy Developers.\nAll rights reserved.",
      licenseClassifiers: ["License :: OSI Approved :: BSD License"],
    }),
    "LicenseRef-BSD-License",
  );
  assert.equal(expr({ license: "Copyright (c) someone\nlong text" }), undefined);
  assert.equal(
    expr({
      licenseClassifiers: [
        "License :: OSI Approved :: MIT License",
        "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)",
        "License :: OSI Approved :: MIT License",
      ],
    }),
    "LGPL-3.0-only AND MIT",
  );
  assert.equal(expr({ license: "Proprietary (c) ACME" }), "LicenseRef-Proprietary-c-ACME");
  assert.equal(expr({}), undefined);
});

test("a wheel the build installed: name, version and licence from its METADATA, the lock's hash, INSTALLER cudaseal", () => {
  const wheel = "cd".repeat(32);
  const pkg = pythonSbomPackage(
    "Metadata-Version: 2.4\nName: Torch_Thing\nVersion: 2.5.1+cu124\nLicense-Expression: BSD-3-Clause\n\nText.\n",
    { sha256: wheel, url: "https://files.example/torch_thing.whl" },
  );
  assert.deepEqual(pkg, {
    name: "Torch_Thing",
    version: "2.5.1+cu124",
    sha256: wheel,
    license: { expression: "BSD-3-Clause", refs: [] },
    url: "https://files.example/torch_thing.whl",
    installer: "cudaseal",
  });
  assert.equal(pythonSbomPackage("Name: ../x\nVersion: 1\n", { sha256: wheel }), undefined);
  const facts = builtImageFacts({ copyrights: [], contents: [], python: [pkg as NonNullable<typeof pkg>] });
  const model = sbomModel(
    { digest: `sha256:${"1".repeat(64)}`, created: "2025-01-01T00:00:00Z", arch: "amd64" },
    [],
    facts,
  );
  assert.deepEqual(
    model.packages.map((p) => [p.purl, p.sha256, p.license, p.url]),
    [["pkg:pypi/torch-thing@2.5.1%2Bcu124", wheel, "BSD-3-Clause", "https://files.example/torch_thing.whl"]],
  );
});
