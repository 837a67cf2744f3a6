// audit counts an image's Python distributions as sbom and compare do: those
// in site-packages that no OS package owns.

import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { auditImage } from "../../src/audit/index.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { imageSbomModel } from "../../src/sbom/image-sbom.ts";
import { makePythonImage, type PythonImage, wheelToolsAvailable } from "../sbom/python-image.ts";
import { image as fixtureImage, layer, SECRETS } from "./fixture.ts";

const skip = wheelToolsAvailable()
  ? false
  : "Debian's python3-pip, python3-wheel and python3-setuptools are needed";

let dir: string;
let image: PythonImage;
before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), "cudaseal-audit-python-"));
  image = await makePythonImage(dir);
});
after(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

test("the report's properties count the Python distributions the SBOM lists", { skip }, async () => {
  const { report } = await auditImage(image.ref, { arch: "amd64" });
  const sbom = await imageSbomModel(image.ref);
  assert.equal(report.properties?.pythonPackages, 4);
  assert.equal(report.properties?.pythonPackages, sbom.packages.filter((p) => p.ecosystem === "pypi").length);
});

test("metadata kept for counting is still searched for secrets", async () => {
  const site = "usr/local/lib/python3.13/dist-packages/leaky-1.0.dist-info";
  const own = mkdtempSync(join(tmpdir(), "cudaseal-audit-python-secret-"));
  try {
    const files = layer(own, "leaky", [
      { name: `${site}/METADATA`, data: `Name: leaky\nVersion: 1.0\n\nexport GH=${SECRETS.github}\n` },
    ]);
    await writeOciLayout(
      join(own, "image"),
      fixtureImage([files], { created: new Date("2026-01-01T00:00:00Z") }),
    );
    const { report } = await auditImage(`oci:${join(own, "image")}:v1`, { arch: "amd64" });
    assert.equal(report.properties?.pythonPackages, 1);
    assert.deepEqual(
      report.findings.filter((f) => f.id === "CS-SECRET-GITHUB-TOKEN").map((f) => f.evidence.path),
      [`/${site}/METADATA`],
    );
  } finally {
    await rm(own, { recursive: true, force: true });
  }
});
