// `cudaseal compare` counts Python distributions and their PyPI advisories:
// an image whose packages the real pip installed against the source fixture
// image, which has none.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { makePythonImage, type PythonImage, wheelToolsAvailable } from "../sbom/python-image.ts";
import { makeImages } from "../source/fixture.ts";

const BIN = new URL("../../bin/cudaseal.js", import.meta.url).pathname;
const skip = wheelToolsAvailable()
  ? false
  : "Debian's python3-pip, python3-wheel and python3-setuptools are needed";

let dir: string;
let image: PythonImage;
let plainRef: string;
let db: string;
before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), "cudaseal-python-compare-"));
  image = await makePythonImage(dir);
  plainRef = `oci:${join(dir, "plain")}`;
  await writeOciLayout(join(dir, "plain"), makeImages(dir).single);
  db = join(dir, "osv");
  mkdirSync(db);
  writeFileSync(
    join(db, "GHSA-1.json"),
    JSON.stringify({
      id: "GHSA-1",
      affected: [
        {
          package: { ecosystem: "PyPI", name: "Insecure-Lib" },
          ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "1.4.3" }] }],
        },
      ],
      database_specific: { severity: "HIGH" },
    }),
  );
});
after(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

test("Python distributions are counted, and their PyPI advisories among the CVEs", { skip }, () => {
  const r = spawnSync(
    process.execPath,
    [BIN, "compare", image.ref, plainRef, "--arch", "amd64", "--db", db, "--format", "json"],
    { encoding: "utf8", env: { ...process.env, CUDASEAL_CACHE_DIR: join(dir, "cache") } },
  );
  assert.equal(r.status, 0, r.stderr);
  const [python, plain] = JSON.parse(r.stdout).images;
  assert.equal(python.pythonPackages, 4);
  assert.equal(python.packages, 2, "python3-six and libc6: six's egg-info is the Debian package's");
  assert.equal(plain.pythonPackages, 0);
  assert.deepEqual(python.cves, { critical: 0, high: 1, medium: 0, low: 0, negligible: 0, unknown: 0 });
  const table = spawnSync(
    process.execPath,
    [BIN, "compare", image.ref, plainRef, "--arch", "amd64", "--no-cves"],
    {
      encoding: "utf8",
    },
  );
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /^Python packages\s+4\s+0$/m);
});
