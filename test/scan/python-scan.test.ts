// Python distributions against PyPI advisories: OSV records of ecosystem
// PyPI read into advisories (introduced/fixed/last_affected events, the
// versions list, withdrawn records), matched with exact PEP 440 order and
// PEP 503 names, and `cudaseal scan --db DIR` reporting a planted advisory
// on an image whose packages the real pip installed.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { tryParseVersion } from "../../src/python/index.ts";
import type { Advisory } from "../../src/scan/advisory.ts";
import { osvAdvisories } from "../../src/scan/osv.ts";
import { affects, matchPythonFindings } from "../../src/scan/python-match.ts";
import { scanImage } from "../../src/scan/scan-image.ts";
import { parseVex, vexVerdict } from "../../src/scan/vex.ts";
import type { PythonPackage } from "../../src/source/python-packages.ts";
import { makePythonImage, type PythonImage, wheelToolsAvailable } from "../sbom/python-image.ts";
import { vexDocument } from "./fixture.ts";

const BIN = new URL("../../bin/cudaseal.js", import.meta.url).pathname;
const skip = wheelToolsAvailable()
  ? false
  : "Debian's python3-pip, python3-wheel and python3-setuptools are needed";

function record(
  id: string,
  name: string,
  affected: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  return {
    id,
    summary: `${id} in ${name}`,
    affected: [{ package: { ecosystem: "PyPI", name }, ...affected }],
    ...extra,
  };
}
const range = (...events: Record<string, string>[]) => ({ ranges: [{ type: "ECOSYSTEM", events }] });

let dir: string;
let image: PythonImage;
let db: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "cudaseal-python-scan-"));
  db = join(dir, "osv-pypi");
  mkdirSync(db);
  const records = [
    // Planted: insecure.lib 1.4.2 is affected, fixed in 1.4.3; the name is spelled another way.
    record("GHSA-aaaa-bbbb-cccc", "Insecure_Lib", range({ introduced: "1.0" }, { fixed: "1.4.3" }), {
      database_specific: { severity: "HIGH" },
    }),
    // Fixed in the installed release itself: not a finding.
    record("PYSEC-2024-1", "insecure-lib", range({ introduced: "0" }, { fixed: "1.4.2" })),
    // A versions list naming the installed release.
    record("PYSEC-2024-2", "demo.pkg", { versions: ["1.1.0", "1.2.0"] }),
    // Withdrawn: counts for nothing.
    record("GHSA-wwww-wwww-wwww", "demo-pkg", range({ introduced: "0" }), {
      withdrawn: "2024-01-01T00:00:00Z",
    }),
    // six is python3-six's, a Debian package: PyPI advisories are not matched against it.
    record("PYSEC-2024-3", "six", range({ introduced: "0" }, { fixed: "99" })),
  ];
  for (const r of records) writeFileSync(join(db, `${r.id}.json`), JSON.stringify(r));
  if (!skip) image = await makePythonImage(dir);
});
after(() => rm(dir, { recursive: true, force: true }));

test("PyPI records become advisories: names in PEP 503 form, every kind of event and the versions list", () => {
  const rec = record("X-1", "Foo_Bar.baz", {
    ranges: [
      {
        type: "ECOSYSTEM",
        events: [{ introduced: "0" }, { fixed: "1.0" }, { introduced: "2.0rc1" }, { last_affected: "2.3" }],
      },
      { type: "GIT", events: [{ introduced: "abc" }] },
    ],
    versions: ["2.1", "2.2"],
  });
  assert.deepEqual(
    osvAdvisories(rec).map((a) => [
      a.ecosystem,
      a.source,
      a.state,
      a.introduced,
      a.fixedVersion,
      a.lastAffected,
      a.versions,
    ]),
    [
      ["PyPI", "foo-bar-baz", "resolved", "0", "1.0", undefined, undefined],
      ["PyPI", "foo-bar-baz", "open", "2.0rc1", undefined, "2.3", undefined],
      ["PyPI", "foo-bar-baz", "open", undefined, undefined, undefined, ["2.1", "2.2"]],
    ],
  );
  assert.deepEqual(osvAdvisories({ ...rec, withdrawn: "2024-05-01T00:00:00Z" }), []);
  // The release filter is Debian's: it does not drop PyPI advisories.
  assert.equal(osvAdvisories(rec, { release: "trixie" }).length, 3);
});

test("PEP 440 edge cases: pre-releases, dev, post releases, local versions, epochs", () => {
  const adv = (fields: Partial<Advisory>): Advisory => ({
    id: "X",
    ecosystem: "PyPI",
    source: "p",
    state: "resolved",
    severity: "unknown",
    description: "",
    ...fields,
  });
  const hits = (a: Advisory, versions: string[]) =>
    versions.filter((v) => affects(a, tryParseVersion(v) as NonNullable<ReturnType<typeof tryParseVersion>>));
  // A pre-release introduced it: earlier pre-releases are not affected, the final is.
  assert.deepEqual(
    hits(adv({ introduced: "2.0.0rc1", fixedVersion: "2.0.1" }), [
      "2.0.0b3",
      "2.0.0rc1",
      "2.0.0rc2",
      "2.0.0",
      "2.0.1.dev1",
      "2.0.1",
    ]),
    ["2.0.0rc1", "2.0.0rc2", "2.0.0", "2.0.1.dev1"],
  );
  // A post release is after its release; a dev release of the fix is before it.
  assert.deepEqual(
    hits(adv({ introduced: "0", fixedVersion: "1.4.2.post1" }), [
      "1.4.2",
      "1.4.2.post1",
      "1.4.2.post2",
      "1.4.2-1",
    ]),
    ["1.4.2"],
  );
  assert.deepEqual(
    hits(adv({ introduced: "0", fixedVersion: "1.5" }), ["1.5.dev0", "1.5a1", "1.5", "1.5.0"]),
    ["1.5.dev0", "1.5a1"],
  );
  // Local builds: of the fix, fixed; of an affected release, affected; of the last affected, still affected.
  assert.deepEqual(
    hits(adv({ introduced: "2.0", fixedVersion: "2.5.2" }), [
      "2.5.1+cu124",
      "2.5.2+cu124",
      "1.9+cu118",
      "2.0+cpu",
    ]),
    ["2.5.1+cu124", "2.0+cpu"],
  );
  assert.deepEqual(
    hits(adv({ state: "open", introduced: "0", lastAffected: "2.5.1" }), [
      "2.5.1",
      "2.5.1+cu124",
      "2.5.1.post1",
      "2.5.2rc1",
    ]),
    ["2.5.1", "2.5.1+cu124"],
  );
  assert.deepEqual(
    hits(adv({ state: "open", versions: ["1.0", "1.1+abc"] }), ["1.0", "1.0+x", "1.0.0", "1.1", "1.1+abc"]),
    ["1.0", "1.0+x", "1.0.0", "1.1+abc"],
  );
  // Epochs come first: 1!0.5 is after every epoch-0 release.
  assert.deepEqual(hits(adv({ introduced: "0", fixedVersion: "2.0" }), ["1!0.5", "1.9", "0!1.9"]), [
    "1.9",
    "0!1.9",
  ]);
  assert.deepEqual(hits(adv({ introduced: "1!0", fixedVersion: "1!1.0" }), ["1!0.5", "5.0"]), ["1!0.5"]);
  // An advisory version that is not PEP 440 cannot be placed: no match rather than a guess.
  assert.deepEqual(hits(adv({ introduced: "0", fixedVersion: "not a version" }), ["1.0"]), []);
});

test("matching names both sides in PEP 503 form, and a version that is not PEP 440 matches nothing", () => {
  const pkg = (name: string, version: string): PythonPackage => ({
    name,
    version,
    path: `/site-packages/${name}-${version}.dist-info`,
    metadataPath: `/site-packages/${name}-${version}.dist-info/METADATA`,
    licenseClassifiers: [],
  });
  const advisories = osvAdvisories(
    record("X-2", "Zope.Interface", range({ introduced: "0" }, { fixed: "6.0" })),
  );
  const found = matchPythonFindings(
    [pkg("zope_interface", "5.4.0"), pkg("zope-interface", "latest")],
    advisories,
  );
  assert.deepEqual(
    found.map((f) => [f.id, f.ecosystem, f.package, f.source, f.installed, f.fixedVersion, f.status]),
    [["X-2", "PyPI", "zope_interface", "zope-interface", "5.4.0", "6.0", "fixed"]],
  );
});

test("a planted PyPI advisory is found in a pip-installed image, with its fixed version", {
  skip,
}, async () => {
  const result = await scanImage(image.ref, { db });
  assert.equal(result.pythonPackages, 4);
  assert.deepEqual(
    result.findings.map((f) => [f.id, f.package, f.installed, f.fixedVersion, f.severity, f.status]),
    [
      ["GHSA-aaaa-bbbb-cccc", "insecure.lib", "1.4.2", "1.4.3", "high", "fixed"],
      ["PYSEC-2024-2", "Demo-Pkg", "1.2.0", undefined, "unknown", "open"],
    ],
  );
});

test("`cudaseal scan --db DIR` reports it, and its JSON names the ecosystem", { skip }, () => {
  const r = spawnSync(process.execPath, [BIN, "scan", image.ref, "--db", db, "--format", "json"], {
    encoding: "utf8",
    env: {
      ...process.env,
      CUDASEAL_CACHE_DIR: join(dir, "cache"),
      CUDASEAL_DB_URL: "http://127.0.0.1:9/json",
    },
  });
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.release, "trixie");
  assert.equal(doc.pythonPackages, 4);
  const planted = doc.findings.find((f: { id: string }) => f.id === "GHSA-aaaa-bbbb-cccc");
  assert.deepEqual(
    [planted.ecosystem, planted.package, planted.installed, planted.fixedVersion],
    ["PyPI", "insecure.lib", "1.4.2", "1.4.3"],
  );
  assert.match(r.stderr, /2 findings in 2 packages and 4 Python distributions \(Debian trixie\)/);
  const table = spawnSync(process.execPath, [BIN, "scan", image.ref, "--db", db, "--fail-on", "high"], {
    encoding: "utf8",
    env: {
      ...process.env,
      CUDASEAL_CACHE_DIR: join(dir, "cache"),
      CUDASEAL_DB_URL: "http://127.0.0.1:9/json",
    },
  });
  assert.equal(table.status, 1, table.stderr);
  assert.match(table.stdout, /GHSA-aaaa-bbbb-cccc\s+insecure\.lib\s+1\.4\.2\s+1\.4\.3\s+high\s+fixed/);
});

test("VEX names a Python distribution by its pkg:pypi purl, in PEP 503 and PEP 440 terms, never a Debian package", () => {
  const statements = parseVex(
    vexDocument([
      {
        vulnerability: { name: "X-3" },
        products: [{ "@id": "pkg:pypi/insecure-lib@1.4.2.0" }],
        status: "not_affected",
        justification: "vulnerable_code_not_in_execute_path",
      },
    ]),
    "vex.json",
  );
  const finding = (ecosystem: "PyPI" | undefined, installed: string) => ({
    id: "X-3",
    ...(ecosystem ? { ecosystem } : {}),
    package: "insecure.lib",
    source: "insecure-lib",
    installed,
    severity: "high" as const,
    status: "open" as const,
    description: "",
  });
  assert.equal(vexVerdict(statements, finding("PyPI", "1.4.2"), undefined)?.status, "not_affected");
  assert.equal(vexVerdict(statements, finding("PyPI", "1.4.3"), undefined), undefined);
  assert.equal(
    vexVerdict(statements, finding(undefined, "1.4.2"), undefined),
    undefined,
    "a Debian package of that name",
  );
});
