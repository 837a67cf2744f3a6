import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { provenanceText, slsaProvenance } from "../../src/provenance/slsa-provenance.ts";
import { readSpecFiles } from "../../src/provenance/spec-files.ts";
import { serializeLock } from "../../src/resolve/lock.ts";
import { sha256 } from "../oci/fixture-image.ts";
import { LOCK } from "./fixture-lock.ts";

const dir = mkdtempSync(join(tmpdir(), "cudaseal-provenance-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const input = {
  version: "0.1.0",
  spec: "app.yaml",
  specFiles: [{ name: "app.yaml", content: "name: app\npackages: [libcudart12]\n" }],
  lock: LOCK,
  archs: ["amd64", "arm64"],
  compression: { algorithm: "gzip", level: 1 },
  sourceDateEpoch: 1735787045,
  created: "2025-01-02T03:04:05Z",
};

test("the predicate records the spec, the lock and every .deb, and only the image's time", () => {
  const p = slsaProvenance(input) as {
    buildDefinition: {
      buildType: string;
      externalParameters: Record<string, unknown> & {
        spec: { files: { name: string; digest: { sha256: string } }[] };
      };
      resolvedDependencies: { uri: string; name: string; digest: { sha256: string } }[];
    };
    runDetails: { builder: { id: string }; metadata: { startedOn: string; finishedOn: string } };
  };
  assert.match(p.buildDefinition.buildType, /^https:\/\/.*cudaseal/);
  assert.equal(
    p.buildDefinition.externalParameters.spec.files[0].digest.sha256,
    sha256(Buffer.from(input.specFiles[0].content)).slice(7),
  );
  assert.deepEqual(p.buildDefinition.externalParameters.lock, {
    digest: { sha256: sha256(Buffer.from(serializeLock(LOCK))).slice(7) },
  });
  // ca-certificates (all) serves both architectures: listed once.
  assert.deepEqual(
    p.buildDefinition.resolvedDependencies.map((d) => [d.name, d.digest.sha256[0]]),
    [
      ["ca-certificates_20250419_all.deb", "c"],
      ["libcudart12_12.4.127~12.4.1-2_amd64.deb", "a"],
      ["libcudart12_12.4.127~12.4.1-2_arm64.deb", "b"],
    ],
  );
  assert.match(
    p.buildDefinition.resolvedDependencies[1].uri,
    /^pkg:deb\/debian\/libcudart12@12\.4\.127~12\.4\.1-2\?arch=amd64/,
  );
  // No mirror host leaks in: dependencies are named by purl, not by URL.
  assert.doesNotMatch(JSON.stringify(p), /127\.0\.0\.1/);
  assert.equal(p.runDetails.builder.id, "cudaseal@0.1.0");
  assert.deepEqual(p.runDetails.metadata, { startedOn: input.created, finishedOn: input.created });
});

test("the same inputs give the same bytes", () => {
  assert.equal(provenanceText(input), provenanceText({ ...input, specFiles: [...input.specFiles] }));
  assert.notEqual(provenanceText(input), provenanceText({ ...input, created: "2025-01-02T03:04:06Z" }));
});

test("spec files are named as given, includes relative to the spec, never by absolute path", () => {
  writeFileSync(join(dir, "app.yaml"), "include: [base.yaml]\n");
  writeFileSync(join(dir, "base.yaml"), "packages: []\n");
  const files = readSpecFiles("app.yaml", [join(dir, "app.yaml"), join(dir, "base.yaml")]);
  assert.deepEqual(files, [
    { name: "app.yaml", content: "include: [base.yaml]\n" },
    { name: "base.yaml", content: "packages: []\n" },
  ]);
});

test("spec fields the command line set (build's --cuda, --annotation) are external parameters beside the spec files", () => {
  const specOverrides = { cuda: "12.8", annotations: { "org.example.unit": "abc" } };
  const p = slsaProvenance({ ...input, specOverrides }) as {
    buildDefinition: { externalParameters: { spec: Record<string, unknown> } };
  };
  assert.deepEqual(p.buildDefinition.externalParameters.spec.overrides, specOverrides);
  const plain = slsaProvenance(input) as typeof p;
  assert.equal("overrides" in plain.buildDefinition.externalParameters.spec, false);
});
