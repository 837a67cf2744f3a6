// The admission policies that read Sigstore bundles and keyless signatures:
// Kyverno's ClusterPolicy with `type: SigstoreBundle`, Kyverno's
// ImageValidatingPolicy and the policy-controller's ClusterImagePolicy, key
// based and keyless, with and without the GPU smoke attestation. Each is
// valid against its CRD's own schema (made strict as an API server is),
// meets the checks the controller's Go code makes beyond the schema, pins
// the signer, and is deterministic; and each validator is shown to bite.

import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { test } from "node:test";
import type { ValidateFunction } from "ajv";
import { parse } from "yaml";
import { isCudasealError } from "../../src/errors.ts";
import {
  clusterImagePolicy,
  GPU_SMOKE_PREDICATE_TYPE,
  imageValidatingPolicy,
  type KyvernoPolicy,
  kyvernoPolicy,
} from "../../src/policy/index.ts";
import { GPU_SMOKE_PREDICATE_TYPE as SIGNED_PREDICATE_TYPE } from "../../src/sign/index.ts";
import {
  clusterImagePolicyValidator,
  clusterPolicyValidator,
  imageValidatingPolicyValidator,
} from "./kyverno-schema.ts";

// biome-ignore lint/suspicious/noExplicitAny: policies are untyped data, read field by field
type Obj = Record<string, any>;

const publicKey = generateKeyPairSync("ec", { namedCurve: "P-256" })
  .publicKey.export({ format: "pem", type: "spki" })
  .toString();
const IMAGES = ["registry.example/org/*"];
const KEYLESS = {
  subjectRegExp: "^https://github.com/org/images/",
  issuer: "https://token.actions.githubusercontent.com",
};
const SIGNERS = { key: { publicKey }, keyless: { identity: KEYLESS } } as const;

type Kind = "kyverno-bundle" | "kyverno-ivp" | "policy-controller";
const KINDS: Record<Kind, { make: (input: Obj) => KyvernoPolicy; validate: ValidateFunction }> = {
  "kyverno-bundle": {
    make: (input) => kyvernoPolicy({ ...input, bundle: true } as never),
    validate: clusterPolicyValidator(),
  },
  "kyverno-ivp": {
    make: (input) => imageValidatingPolicy(input as never),
    validate: imageValidatingPolicyValidator(),
  },
  "policy-controller": {
    make: (input) => clusterImagePolicy(input as never),
    validate: clusterImagePolicyValidator(),
  },
};

/** What each controller's Go validation refuses beyond its schema (the parts these policies touch). */
function semanticErrors(kind: Kind, doc: Obj): string[] {
  const errors: string[] = [];
  if (kind === "kyverno-bundle") {
    // api/kyverno/v1/image_verification_types.go: Attestor, KeylessAttestor, ImageVerification.Validate.
    for (const v of doc.spec.rules[0].verifyImages) {
      if (v.failureAction === "Audit" && v.mutateDigest) errors.push("mutateDigest must be false for Audit");
      for (const set of [...v.attestors, ...(v.attestations ?? []).flatMap((a: Obj) => a.attestors)]) {
        for (const entry of set.entries) {
          if (Object.keys(entry).length !== 1) errors.push("one of keys, certificates, keyless");
          if (entry.keyless && !entry.keyless.rekor?.url && !entry.keyless.roots)
            errors.push("keyless needs rekor.url");
        }
      }
    }
  } else if (kind === "kyverno-ivp") {
    const attestors = new Set(doc.spec.attestors.map((a: Obj) => a.name));
    const attestations = new Set((doc.spec.attestations ?? []).map((a: Obj) => a.name));
    for (const a of doc.spec.attestors) {
      const c = a.cosign;
      if ((c.key ? 1 : 0) + (c.keyless ? 1 : 0) !== 1) errors.push(`${a.name}: one of key and keyless`);
      if (c.keyless && !c.keyless.identities?.length) errors.push("keyless needs identities");
    }
    for (const v of doc.spec.validations) {
      for (const [, name] of v.expression.matchAll(/attestors\.([A-Za-z0-9_]+)/g)) {
        if (!attestors.has(name)) errors.push(`unknown attestor ${name}`);
      }
      for (const [, name] of v.expression.matchAll(/attestations\.([A-Za-z0-9_]+)/g)) {
        if (!attestations.has(name)) errors.push(`unknown attestation ${name}`);
      }
      // CEL: brackets and parentheses balance, and strings are closed.
      const stripped = v.expression.replace(/'(?:[^'\\]|\\.)*'/g, "''");
      if (stripped.includes("'") && !/''/.test(stripped)) errors.push("unclosed string");
      let depth = 0;
      for (const ch of stripped) {
        depth += ch === "(" || ch === "[" ? 1 : ch === ")" || ch === "]" ? -1 : 0;
        if (depth < 0) break;
      }
      if (depth !== 0) errors.push(`unbalanced: ${v.expression}`);
    }
  } else {
    // pkg/apis/policy/v1beta1/clusterimagepolicy_validation.go and pkg/apis/glob.
    if (!["enforce", "warn"].includes(doc.spec.mode)) errors.push("mode");
    for (const { glob } of doc.spec.images)
      if (!/^[a-zA-Z0-9\-_:/*.@]+$/.test(glob)) errors.push(`glob ${glob}`);
    for (const a of doc.spec.authorities) {
      if ((a.key ? 1 : 0) + (a.keyless ? 1 : 0) + (a.static ? 1 : 0) !== 1)
        errors.push("one of key, keyless, static");
      if (a.signatureFormat === "bundle" && !a.keyless)
        errors.push("the bundle format needs a keyless authority");
      if ((a.source ?? []).length > 1) errors.push("only single source is supported");
      for (const att of a.attestations ?? []) {
        if (!att.name || !att.predicateType) errors.push("attestation name and predicateType");
        if (!["cue", "rego"].includes(att.policy.type)) errors.push("policy type");
        if (att.policy.type === "rego" && !/^package sigstore$/m.test(att.policy.data))
          errors.push("rego package");
      }
    }
  }
  return errors;
}

for (const kind of Object.keys(KINDS) as Kind[]) {
  for (const signer of Object.keys(SIGNERS) as (keyof typeof SIGNERS)[]) {
    for (const gpu of [false, true]) {
      test(`${kind}, ${signer}${gpu ? ", requiring the GPU smoke test and an SBOM" : ""}: valid against the CRD schema and the controller's own checks`, () => {
        const { make, validate } = KINDS[kind];
        const input = {
          images: IMAGES,
          ...SIGNERS[signer],
          ...(gpu ? { attestations: ["cyclonedx"], gpuSmoke: true, driverBranches: ["550", "570"] } : {}),
        };
        const { document, text } = make(input);
        assert.deepEqual(parse(text), document, "the YAML is the document");
        assert.ok(validate(document), JSON.stringify(validate.errors, null, 2));
        assert.deepEqual(semanticErrors(kind, document as Obj), []);
        assert.equal(make(input).text, text, "deterministic");
        if (signer === "key") {
          assert.ok(text.includes(publicKey.split("\n")[1]), "the key itself is in the policy");
          assert.doesNotMatch(
            text.replace("apiVersion: policy.sigstore.dev/", ""),
            /sigstore\.dev|https:\/\/rekor/,
            "no public Sigstore service is named",
          );
        } else {
          assert.ok(
            text.includes(KEYLESS.subjectRegExp) && text.includes(KEYLESS.issuer),
            "the identity is pinned",
          );
        }
        if (gpu) assert.ok(text.includes(GPU_SMOKE_PREDICATE_TYPE));
      });
    }
  }
}

test("the Kyverno SigstoreBundle rule pins the key offline, or the keyless identity with a Rekor log", () => {
  const keyed = kyvernoPolicy({ publicKey, images: IMAGES, bundle: true }).document as Obj;
  const [verify] = keyed.spec.rules[0].verifyImages;
  assert.equal(verify.type, "SigstoreBundle");
  assert.deepEqual(verify.attestors[0].entries[0].keys.rekor, { ignoreTlog: true });
  assert.deepEqual(verify.attestors[0].entries[0].keys.ctlog, { ignoreSCT: true });

  const keyless = kyvernoPolicy({ identity: KEYLESS, images: IMAGES, bundle: true }).document as Obj;
  assert.deepEqual(keyless.spec.rules[0].verifyImages[0].attestors[0].entries[0], {
    keyless: { ...KEYLESS, rekor: { url: "https://rekor.sigstore.dev" } },
  });
  const privateLog = kyvernoPolicy({
    identity: { subject: "builder@example.com", issuer: "https://issuer.example" },
    images: IMAGES,
    rekorUrl: "https://rekor.example/",
  }).document as Obj;
  const [cosign] = privateLog.spec.rules[0].verifyImages;
  assert.equal(cosign.type, "Cosign", "keyless without --bundle reads cosign's tags");
  assert.deepEqual(cosign.attestors[0].entries[0].keyless.rekor, { url: "https://rekor.example" });
});

test("the policies require the predicate type that attest --type gpu-smoke signs", () => {
  assert.equal(GPU_SMOKE_PREDICATE_TYPE, SIGNED_PREDICATE_TYPE);
});

test("the GPU smoke requirement reads result and driver.branch in each kind's own language", () => {
  const input = { publicKey, images: IMAGES, gpuSmoke: true, driverBranches: ["550", "570"] };
  const cp = kyvernoPolicy(input).document as Obj;
  const [att] = cp.spec.rules[0].verifyImages[0].attestations;
  assert.equal(att.type, GPU_SMOKE_PREDICATE_TYPE);
  assert.deepEqual(att.conditions, [
    {
      all: [
        {
          key: "{{ result }}",
          operator: "Equals",
          value: "pass",
          message: "the GPU smoke test did not pass",
        },
        {
          key: "{{ driver.branch }}",
          operator: "AnyIn",
          value: ["550", "570"],
          message: "the GPU smoke test ran on a driver branch other than 550, 570",
        },
      ],
    },
  ]);

  const ivp = imageValidatingPolicy(input).document as Obj;
  assert.deepEqual(ivp.spec.attestations, [{ name: "gpusmoke", intoto: { type: GPU_SMOKE_PREDICATE_TYPE } }]);
  const expressions = ivp.spec.validations.map((v: Obj) => v.expression).join("\n");
  assert.match(
    expressions,
    /verifyAttestationSignatures\(image, attestations\.gpusmoke, \[attestors\.cudaseal\]\) > 0/,
  );
  assert.match(expressions, /extractPayload\(image, attestations\.gpusmoke\)\.result == 'pass'/);
  assert.match(
    expressions,
    /extractPayload\(image, attestations\.gpusmoke\)\.driver\.branch in \['550', '570'\]/,
  );
  assert.match(expressions, /images\.initContainers/, "init containers are verified too");

  const cip = clusterImagePolicy(input).document as Obj;
  const [gpu] = cip.spec.authorities[0].attestations;
  assert.equal(gpu.predicateType, GPU_SMOKE_PREDICATE_TYPE);
  assert.equal(gpu.policy.type, "rego");
  assert.match(gpu.policy.data, /^ {2}input\.predicate\.result == "pass"$/m);
  assert.match(gpu.policy.data, /^ {2}input\.predicate\.driver\.branch in \{"550", "570"\}$/m);
  assert.match(gpu.policy.data, /^default isCompliant := false$/m);

  const anyBranch = kyvernoPolicy({ publicKey, images: IMAGES, gpuSmoke: true }).document as Obj;
  assert.equal(anyBranch.spec.rules[0].verifyImages[0].attestations[0].conditions[0].all.length, 1);
});

test("the policy-controller's key authority reads cosign's tags, its keyless one bundles, and patterns become its globs", () => {
  const keyed = clusterImagePolicy({ publicKey, images: ["registry.example/org/*"], action: "Audit" })
    .document as Obj;
  assert.equal(keyed.spec.mode, "warn");
  assert.deepEqual(keyed.spec.images, [{ glob: "registry.example/org/**" }]);
  const [authority] = keyed.spec.authorities;
  assert.deepEqual(authority.key, { data: publicKey });
  assert.equal(authority.signatureFormat, undefined);
  assert.equal(authority.ctlog, undefined, "no transparency log is consulted");

  const keyless = clusterImagePolicy({
    identity: KEYLESS,
    images: ["registry.example/org/cuda-*:12*"],
    trustRootRef: "private-sigstore",
    pullSecrets: ["regcred"],
  }).document as Obj;
  assert.deepEqual(keyless.spec.images, [{ glob: "registry.example/org/cuda-**:12**" }]);
  assert.deepEqual(keyless.spec.authorities[0], {
    name: "cudaseal",
    keyless: { identities: [KEYLESS], trustRootRef: "private-sigstore" },
    signatureFormat: "bundle",
    source: [{ signaturePullSecrets: [{ name: "regcred" }] }],
  });
});

test("bad signers and requirements are USAGE errors", () => {
  const cases: Obj[] = [
    { images: IMAGES },
    { images: IMAGES, publicKey, identity: KEYLESS },
    { images: IMAGES, identity: { subject: "a@example.com" } },
    { images: IMAGES, identity: { issuer: "https://issuer.example" } },
    { images: IMAGES, identity: { ...KEYLESS, subject: "a@example.com" } },
    { images: IMAGES, identity: { subjectRegExp: "github.com/org/", issuer: KEYLESS.issuer } },
    { images: IMAGES, identity: { subjectRegExp: "^(", issuer: KEYLESS.issuer } },
    { images: IMAGES, publicKey, driverBranches: ["550"] },
    { images: IMAGES, publicKey, gpuSmoke: true, driverBranches: ["550.54"] },
    { images: IMAGES, publicKey, rekorUrl: "https://rekor.example" },
    { images: IMAGES, identity: KEYLESS, rekorUrl: "http://rekor.example" },
    { images: IMAGES, publicKey, attestations: ["gpu-smoke"] },
  ];
  for (const make of [kyvernoPolicy, imageValidatingPolicy]) {
    for (const c of cases) {
      assert.throws(
        () => make(c as never),
        (e) => isCudasealError(e, "USAGE"),
        JSON.stringify(c),
      );
    }
  }
  for (const c of [
    { images: ["registry.example/org/app-?"], publicKey },
    { images: ["registry.example/org/app+x"], publicKey },
    { images: IMAGES, publicKey, timeoutSeconds: 10 },
    { images: IMAGES, publicKey, trustRootRef: "root" },
    { images: IMAGES, identity: KEYLESS, trustRootRef: "Not_A_Name" },
  ]) {
    assert.throws(
      () => clusterImagePolicy(c as never),
      (e) => isCudasealError(e, "USAGE"),
      JSON.stringify(c),
    );
  }
});

// The validators must bite, or the tests above prove nothing.
test("the ImageValidatingPolicy and ClusterImagePolicy validators refuse misspelt fields and wrong enums", () => {
  const ivpValidate = imageValidatingPolicyValidator();
  const cipValidate = clusterImagePolicyValidator();
  const ivp = () => imageValidatingPolicy({ publicKey, images: IMAGES, gpuSmoke: true }).document as Obj;
  const cip = () => clusterImagePolicy({ identity: KEYLESS, images: IMAGES, gpuSmoke: true }).document as Obj;
  const broken: [ValidateFunction, () => Obj, string, (d: Obj) => void][] = [
    [
      ivpValidate,
      ivp,
      "misspelt attestor field",
      (d) => (d.spec.attestors[0].cosign.keys = d.spec.attestors[0].cosign.key),
    ],
    [
      ivpValidate,
      ivp,
      "misspelt ctlog field",
      (d) => (d.spec.attestors[0].cosign.ctlog.insecureIgnoreTLog = true),
    ],
    [ivpValidate, ivp, "wrong failurePolicy enum", (d) => (d.spec.failurePolicy = "Deny")],
    [ivpValidate, ivp, "attestation without intoto type", (d) => delete d.spec.attestations[0].intoto.type],
    [ivpValidate, ivp, "no validations", (d) => delete d.spec.validations],
    [cipValidate, cip, "misspelt keyless field", (d) => (d.spec.authorities[0].keyless.identity = [])],
    [cipValidate, cip, "misspelt spec field", (d) => (d.spec.image = d.spec.images)],
    [cipValidate, cip, "wrong type", (d) => (d.spec.authorities[0].attestations[0].policy.data = 1)],
  ];
  for (const [validate, make, what, edit] of broken) {
    const doc = make();
    assert.ok(validate(doc), `${what}: the untouched document is valid`);
    edit(doc);
    assert.equal(validate(doc), false, what);
  }
});
