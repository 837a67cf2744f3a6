// The Kyverno ClusterPolicy from kyvernoPolicy(): valid against Kyverno
// 1.19's own CRD schema (made strict as an API server is), meeting the
// checks Kyverno's Go code makes on verifyImages rules, offline, pinned to
// the key, deterministic; and a validator that is shown to bite.

import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { test } from "node:test";
import { parse } from "yaml";
import { isCudasealError } from "../../src/errors.ts";
import { ATTESTATION_KINDS, kyvernoPolicy } from "../../src/policy/index.ts";
import { PREDICATE_TYPES } from "../../src/sign/index.ts";
import { clusterPolicySchema, clusterPolicyValidator } from "./kyverno-schema.ts";

// biome-ignore lint/suspicious/noExplicitAny: policies are untyped data, read field by field
type Obj = Record<string, any>;

const validate = clusterPolicyValidator();
const publicKey = generateKeyPairSync("ec", { namedCurve: "P-256" })
  .publicKey.export({ format: "pem", type: "spki" })
  .toString();
const IMAGES = ["registry.example/org/*", "registry.example/team/cuda-?"];

function assertValid(doc: unknown): void {
  assert.ok(validate(doc), JSON.stringify(validate.errors, null, 2));
}

/** The verifyImages entries, checked as Kyverno's ImageVerification.Validate does (api/kyverno/v1). */
function kyvernoSemanticErrors(doc: Obj): string[] {
  const errors: string[] = [];
  for (const rule of doc.spec.rules) {
    if (!rule.match?.any?.length && !rule.match?.all?.length) errors.push(`${rule.name}: no match`);
    for (const v of rule.verifyImages ?? []) {
      if (v.failureAction === "Audit" && v.mutateDigest) errors.push("mutateDigest must be false for Audit");
      if (!v.imageReferences?.length) errors.push("an image reference is required");
      const sets = [...(v.attestors ?? []), ...(v.attestations ?? []).flatMap((a: Obj) => a.attestors ?? [])];
      for (const set of sets) {
        if (!set.entries?.length) errors.push("an attestor set needs an entry");
        if (set.count !== undefined && set.count > set.entries.length) errors.push("count exceeds entries");
      }
    }
  }
  return errors;
}

test("the signature policy is a valid ClusterPolicy for Kyverno 1.19", () => {
  const { document, text, notes } = kyvernoPolicy({ publicKey, images: IMAGES });
  assert.deepEqual(parse(text), document, "the YAML is the document");
  assertValid(document);
  assert.deepEqual(kyvernoSemanticErrors(document), []);
  assert.deepEqual(notes, []);

  const doc = document as Obj;
  assert.equal(doc.apiVersion, "kyverno.io/v1");
  assert.equal(doc.kind, "ClusterPolicy");
  assert.equal(doc.metadata.name, "cudaseal-verify-images");
  assert.equal(doc.spec.background, false);
  assert.deepEqual(doc.spec.webhookConfiguration, { failurePolicy: "Fail", timeoutSeconds: 30 });
  assert.equal(doc.spec.validationFailureAction, undefined, "the deprecated spec-level field is not used");
  const [rule] = doc.spec.rules;
  assert.deepEqual(rule.match, { any: [{ resources: { kinds: ["Pod"] } }] });
  const [verify] = rule.verifyImages;
  assert.deepEqual(verify.imageReferences, IMAGES);
  assert.equal(verify.failureAction, "Enforce");
  assert.equal(verify.mutateDigest, true);
  assert.equal(verify.verifyDigest, true);
  assert.equal(verify.required, true);
  assert.equal(verify.attestations, undefined);
  const keys = verify.attestors[0].entries[0].keys;
  assert.equal(keys.publicKeys, publicKey, "the key itself, not a reference to one");
  assert.deepEqual(keys.rekor, { ignoreTlog: true }, "no transparency log: nothing is uploaded to Rekor");
  assert.deepEqual(keys.ctlog, { ignoreSCT: true });
  assert.doesNotMatch(text, /sigstore\.dev|https:\/\/rekor/, "no public Sigstore service is named");
});

for (const name of Object.keys(ATTESTATION_KINDS) as (keyof typeof ATTESTATION_KINDS)[]) {
  test(`--attestation ${name}: valid, attested by the same key, with a condition`, () => {
    const { document } = kyvernoPolicy({ publicKey, images: IMAGES, attestations: [name] });
    assertValid(document);
    assert.deepEqual(kyvernoSemanticErrors(document as Obj), []);
    const verify = (document as Obj).spec.rules[0].verifyImages[0];
    const [attestation] = verify.attestations;
    assert.equal(attestation.type, ATTESTATION_KINDS[name].predicateType);
    assert.deepEqual(attestation.attestors, verify.attestors, "the signing key attests too");
    const [condition] = attestation.conditions[0].all;
    assert.match(condition.key, /^\{\{ [A-Za-z.]+ \}\}$/);
    // What `cudaseal attest --type X` (and cosign) writes is what the policy asks for.
    assert.equal(PREDICATE_TYPES[ATTESTATION_KINDS[name].attestType], attestation.type);
  });
}

test("the predicate type URIs are cosign's", () => {
  // cosign cmd/cosign/cli/options/predicate.go, PredicateTypeMap, and in-toto-golang's constants.
  assert.equal(ATTESTATION_KINDS.cyclonedx.predicateType, "https://cyclonedx.org/bom");
  assert.equal(ATTESTATION_KINDS.spdx.predicateType, "https://spdx.dev/Document");
  assert.equal(ATTESTATION_KINDS.slsaprovenance.predicateType, "https://slsa.dev/provenance/v0.2");
  assert.equal(ATTESTATION_KINDS.slsaprovenance1.predicateType, "https://slsa.dev/provenance/v1");
});

test("several attestations, repeated ones once, in the order given", () => {
  const { document } = kyvernoPolicy({
    publicKey,
    images: IMAGES,
    attestations: ["slsaprovenance1", "cyclonedx", "slsaprovenance1"],
  });
  assertValid(document);
  const types = (document as Obj).spec.rules[0].verifyImages[0].attestations.map((a: Obj) => a.type);
  assert.deepEqual(types, ["https://slsa.dev/provenance/v1", "https://cyclonedx.org/bom"]);
});

test("Audit: valid, mutateDigest off as Kyverno requires, webhook fails open", () => {
  const { document } = kyvernoPolicy({
    publicKey,
    images: IMAGES,
    action: "audit",
    name: "try-signing",
    timeoutSeconds: 15,
    pullSecrets: ["regcred"],
  });
  assertValid(document);
  assert.deepEqual(kyvernoSemanticErrors(document as Obj), []);
  const doc = document as Obj;
  assert.equal(doc.metadata.name, "try-signing");
  assert.deepEqual(doc.spec.webhookConfiguration, { failurePolicy: "Ignore", timeoutSeconds: 15 });
  const verify = doc.spec.rules[0].verifyImages[0];
  assert.equal(verify.failureAction, "Audit");
  assert.equal(verify.mutateDigest, false);
  assert.deepEqual(verify.imageRegistryCredentials, { secrets: ["regcred"] });
});

test("the same input gives the same bytes, with no YAML anchors", () => {
  const input = { publicKey, images: IMAGES, attestations: ["cyclonedx", "spdx"] };
  const a = kyvernoPolicy(input).text;
  assert.equal(kyvernoPolicy(input).text, a);
  assert.doesNotMatch(a, /[&*]a\d/, "shared attestors must not come out as anchors and aliases");
  // A key with other whitespace around it comes out the same: the policy holds the key, not the file.
  const padded = `\n\n${publicKey.replace(/\n/g, "\r\n")}\n`;
  assert.equal(kyvernoPolicy({ ...input, publicKey: padded }).text, a);
});

test("notes for patterns that match more or less than they seem to", () => {
  const { notes } = kyvernoPolicy({
    publicKey,
    images: ["org/app*", "*", "registry.example/org/app", "registry.example/org/app:1.0"],
  });
  assert.ok(notes.some((n) => n.includes("'org/app*' names no registry host")));
  assert.ok(notes.some((n) => n.includes("'*' matches images from any registry")));
  assert.ok(notes.some((n) => n.includes("'registry.example/org/app' matches no image")));
  assert.ok(notes.some((n) => n.includes("'registry.example/org/app:1.0' has no wildcard")));
  assert.equal(notes.length, 4);
  assert.equal(kyvernoPolicy({ publicKey, images: ["localhost:5000/org/*"] }).notes.length, 0);
});

test("bad options are USAGE errors", () => {
  const cases: Obj[] = [
    { images: [] },
    { images: [""] },
    { images: ["registry.example/org/* other"] },
    { images: ["registry.example/{{ request.name }}"] },
    { images: IMAGES, attestations: ["vuln"] },
    { images: IMAGES, action: "Deny" },
    { images: IMAGES, name: "Cudaseal_Policy" },
    { images: IMAGES, name: "x".repeat(64) },
    { images: IMAGES, timeoutSeconds: 0 },
    { images: IMAGES, timeoutSeconds: 31 },
    { images: IMAGES, timeoutSeconds: 2.5 },
    { images: IMAGES, pullSecrets: ["Reg Cred"] },
  ];
  for (const c of cases) {
    assert.throws(
      () => kyvernoPolicy({ publicKey, images: [], ...c }),
      (e) => isCudasealError(e, "USAGE"),
      JSON.stringify(c),
    );
  }
});

test("a malformed key is refused before any policy is written", () => {
  assert.throws(
    () => kyvernoPolicy({ publicKey: "not a key", images: IMAGES }),
    (e) => isCudasealError(e, "KEY_INVALID"),
  );
});

// The validator must bite, or the tests above prove nothing.
test("the validator refuses misspelt fields, wrong enums, wrong types and missing requireds", () => {
  const good = kyvernoPolicy({ publicKey, images: IMAGES, attestations: ["cyclonedx"] }).document as Obj;
  const broken: [string, (d: Obj) => void][] = [
    ["misspelt verifyImages field", (d) => (d.spec.rules[0].verifyImages[0].mutateDigests = true)],
    [
      "misspelt key attestor field",
      (d) => (d.spec.rules[0].verifyImages[0].attestors[0].entries[0].keys.publicKey = "x"),
    ],
    [
      "misspelt rekor field",
      (d) => (d.spec.rules[0].verifyImages[0].attestors[0].entries[0].keys.rekor.ignoreTLog = true),
    ],
    ["misspelt spec field", (d) => (d.spec.webhookTimeout = 10)],
    ["wrong failureAction enum", (d) => (d.spec.rules[0].verifyImages[0].failureAction = "Deny")],
    ["wrong verification type enum", (d) => (d.spec.rules[0].verifyImages[0].type = "cosign")],
    [
      "wrong condition operator",
      (d) => (d.spec.rules[0].verifyImages[0].attestations[0].conditions[0].all[0].operator = "Is"),
    ],
    ["wrong failurePolicy enum", (d) => (d.spec.webhookConfiguration.failurePolicy = "Never")],
    ["string for boolean", (d) => (d.spec.rules[0].verifyImages[0].required = "true")],
    ["timeout beyond int32", (d) => (d.spec.webhookConfiguration.timeoutSeconds = 2 ** 31)],
    ["attestor count below 1", (d) => (d.spec.rules[0].verifyImages[0].attestors[0].count = 0)],
    ["rule without match", (d) => delete d.spec.rules[0].match],
    ["rule without name", (d) => delete d.spec.rules[0].name],
    ["policy without spec", (d) => delete d.spec],
  ];
  for (const [what, breakIt] of broken) {
    const doc = structuredClone(good);
    breakIt(doc);
    assert.equal(validate(doc), false, `the validator accepted a policy with a ${what}`);
  }
  assertValid(good);
});

test("the fixture is the v1 ClusterPolicy schema with verifyImages", () => {
  const schema = clusterPolicySchema() as Obj;
  const verifyImages = schema.properties.spec.properties.rules.items.properties.verifyImages.items;
  assert.deepEqual(verifyImages.properties.failureAction.enum, ["Audit", "Enforce"]);
  assert.equal(
    verifyImages.properties.attestors.items.properties.entries.items.properties.keys.type,
    "object",
  );
});
