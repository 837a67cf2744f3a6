// The shared SARIF renderer, checked against the official SARIF 2.1.0 schema
// and against what GitHub code scanning reads.

import assert from "node:assert/strict";
import { test } from "node:test";
import AjvDraft04 from "ajv-draft-04";
import addFormatsModule from "ajv-formats";
import { type FindingsReport, findingsSarif, SECURITY_SEVERITY } from "../../src/findings/index.ts";
import { schema } from "../helpers/sbom-schemas.ts";
import { FILE_FINDINGS, IMAGE_FINDINGS } from "./sample.ts";

// Both are CommonJS; under Node's ESM loader their exports arrive under `default`. The
// formats are checked too, so a path that is not a URI reference fails the test.
const addFormats = (addFormatsModule as unknown as { default: (ajv: unknown) => void }).default;
const ajv = new AjvDraft04.default({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(schema("sarif-2.1.0.schema.json"));

interface Log {
  runs: {
    tool: {
      driver: { rules: { id: string; properties: Record<string, unknown>; help: { text: string } }[] };
    };
    results: {
      ruleId: string;
      ruleIndex: number;
      level: string;
      locations: {
        physicalLocation: {
          artifactLocation: { uri: string };
          region: { startLine: number; startColumn?: number };
        };
        logicalLocations?: { fullyQualifiedName: string; kind: string }[];
      }[];
    }[];
  }[];
}

function valid(doc: unknown): Log {
  assert.ok(validate(doc), JSON.stringify(validate.errors, null, 2));
  return doc as Log;
}

const image: FindingsReport = {
  tool: "audit",
  target: "oci:out/x:v1",
  kind: "image",
  findings: IMAGE_FINDINGS,
};

test("an image report is valid SARIF: one rule per id, results worst first, locations by path or field", () => {
  const log = valid(findingsSarif(image, { version: "0.1.0" }));
  const run = log.runs[0];
  assert.deepEqual(
    run.tool.driver.rules.map((r) => r.id),
    ["CS-FILE-SETUID", "CS-SECRET-PRIVATE-KEY", "CS-USER-ROOT"],
  );
  assert.deepEqual(
    run.results.map((r) => r.ruleId),
    ["CS-SECRET-PRIVATE-KEY", "CS-USER-ROOT", "CS-FILE-SETUID", "CS-FILE-SETUID"],
  );
  for (const r of run.results) assert.equal(run.tool.driver.rules[r.ruleIndex].id, r.ruleId);
  const [secret, root, setuid] = run.results;
  assert.equal(secret.level, "error");
  assert.equal(setuid.level, "warning");
  assert.equal(secret.locations[0].physicalLocation.artifactLocation.uri, "root/my%20key%231.pem");
  assert.equal(secret.locations[0].logicalLocations?.[0].fullyQualifiedName, "layer 1:/root/my key#1.pem");
  assert.equal(root.locations[0].physicalLocation.artifactLocation.uri, "oci:out/x:v1");
  assert.deepEqual(root.locations[0].logicalLocations?.[0], {
    name: "config.User",
    fullyQualifiedName: "config.User",
    kind: "property",
  });
  const rule = run.tool.driver.rules.find((r) => r.id === "CS-USER-ROOT");
  assert.equal(rule?.properties["security-severity"], SECURITY_SEVERITY.high);
  assert.deepEqual(rule?.properties.tags, ["security", "cis-docker-benchmark", "nist-sp-800-190"]);
  assert.match(rule?.help.text ?? "", /Fix: set USER/);
  assert.match(rule?.help.text ?? "", /CIS Docker 4\.1/);
  assert.equal(
    JSON.stringify(findingsSarif(image)),
    JSON.stringify(findingsSarif({ ...image, findings: [...IMAGE_FINDINGS].reverse() })),
  );
});

test("a file report locates results at their line and column", () => {
  const log = valid(
    findingsSarif({ tool: "lint", target: "Dockerfile", kind: "file", findings: FILE_FINDINGS }),
  );
  const loc = log.runs[0].results[0].locations[0].physicalLocation;
  assert.equal(loc.artifactLocation.uri, "Dockerfile");
  assert.deepEqual(loc.region, { startLine: 1, startColumn: 6 });
  assert.equal(log.runs[0].results[0].level, "note");
});

test("no findings is still a valid log", () => {
  const log = valid(findingsSarif({ ...image, findings: [] }));
  assert.deepEqual(log.runs[0].results, []);
});
