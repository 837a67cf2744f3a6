// `cudaseal policy kyverno` end to end through bin/cudaseal.js: YAML on
// stdout valid against Kyverno's schema, --output, --json, notes on
// stderr, and exit codes with error codes for bad usage and bad keys.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { parse } from "yaml";
import {
  clusterImagePolicyValidator,
  clusterPolicyValidator,
  imageValidatingPolicyValidator,
} from "./kyverno-schema.ts";

const BIN = new URL("../../bin/cudaseal.js", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "cudaseal-policy-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
const KEY = join(dir, "cosign.pub");
writeFileSync(KEY, pair.publicKey.export({ format: "pem", type: "spki" }));
const PRIVATE = join(dir, "cosign.key");
writeFileSync(PRIVATE, pair.privateKey.export({ format: "pem", type: "pkcs8" }));
const validate = clusterPolicyValidator();

function cudaseal(...args: string[]) {
  return spawnSync(process.execPath, [BIN, "policy", ...args], { encoding: "utf8" });
}

test("YAML on stdout, valid against the ClusterPolicy schema", () => {
  const args = ["kyverno", "--key", KEY, "--image", "registry.example/org/*", "--attestation", "cyclonedx"];
  const r = cudaseal(...args);
  assert.equal(r.status, 0, r.stderr);
  const doc = parse(r.stdout) as {
    spec: { rules: { verifyImages: { attestations: { type: string }[] }[] }[] };
  };
  assert.ok(validate(doc), JSON.stringify(validate.errors, null, 2));
  assert.equal(doc.spec.rules[0].verifyImages[0].attestations[0].type, "https://cyclonedx.org/bom");
  // Key-based, of type Cosign: it reads tags, which cudaseal's default signing does not write.
  assert.match(r.stderr, /^warning: this policy reads cosign's \.sig\/\.att tags.*--new-bundle-format=false/);
  const again = cudaseal(...args);
  assert.equal(again.stdout, r.stdout, "deterministic");
});

test("--output writes the file, --json prints the document", () => {
  const file = join(dir, "policy.yaml");
  const r = cudaseal(
    "kyverno",
    "--key",
    KEY,
    "--image",
    "registry.example/org/*",
    "--output",
    file,
    "--json",
  );
  assert.equal(r.status, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  assert.equal(json.kind, "kyverno");
  assert.equal(json.output, file);
  assert.deepEqual(parse(readFileSync(file, "utf8")), json.document);
  assert.ok(validate(json.document), JSON.stringify(validate.errors, null, 2));
});

test("notes go to stderr, and --quiet silences them", () => {
  const r = cudaseal("kyverno", "--key", KEY, "--bundle", "--image", "org/app*");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /note: 'org\/app\*' names no registry host/);
  assert.equal(cudaseal("kyverno", "--key", KEY, "--bundle", "--image", "org/app*", "--quiet").stderr, "");
});

test("bad usage exits 2 with USAGE", () => {
  const cases = [
    [],
    ["gatekeeper", "--key", KEY, "--image", "registry.example/org/*"],
    ["kyverno", "--image", "registry.example/org/*"],
    ["kyverno", "--key", KEY],
    ["kyverno", "--key", KEY, "--image", "registry.example/org/*", "--attestation", "sbom"],
    ["kyverno", "--key", KEY, "--image", "registry.example/org/*", "--action", "Block"],
    ["kyverno", "--key", KEY, "--image", "registry.example/org/*", "--timeout", "60"],
    ["kyverno-ivp", "--key", KEY, "--image", "registry.example/org/*", "--bundle"],
    ["policy-controller", "--key", KEY, "--image", "registry.example/org/*", "--timeout", "10"],
    [
      "policy-controller",
      "--key",
      KEY,
      "--image",
      "registry.example/org/*",
      "--rekor-url",
      "https://r.example",
    ],
    ["kyverno", "--key", KEY, "--image", "registry.example/org/*", "--trust-root-ref", "root"],
    ["kyverno", "--key", KEY, "--image", "registry.example/org/*", "--certificate-identity", "a@example.com"],
    ["kyverno", "--image", "registry.example/org/*", "--certificate-identity", "a@example.com"],
    ["kyverno", "--key", KEY, "--image", "registry.example/org/*", "--driver-branch", "550"],
  ];
  for (const args of cases) {
    const r = cudaseal(...args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /^error \[USAGE\]/, args.join(" "));
  }
});

test("a private key or a missing key file exits 1 with KEY_INVALID", () => {
  for (const key of [PRIVATE, join(dir, "missing.pub")]) {
    const r = cudaseal("kyverno", "--key", key, "--image", "registry.example/org/*", "--json");
    assert.equal(r.status, 1, r.stderr);
    assert.equal(JSON.parse(r.stdout).error.code, "KEY_INVALID");
  }
});

test("--help teaches", () => {
  const r = cudaseal("--help");
  assert.equal(r.status, 0);
  assert.match(r.stdout, /Usage: cudaseal policy KIND --key cosign.pub --image PATTERN/);
  assert.match(r.stdout, /--certificate-identity ID/);
  assert.match(r.stdout, /kyverno-ivp +Kyverno ImageValidatingPolicy/);
  assert.match(r.stdout, /policy-controller +Sigstore policy-controller ClusterImagePolicy/);
  assert.match(r.stdout, /slsaprovenance1 +https:\/\/slsa.dev\/provenance\/v1/);
});

test("each kind from the command line: keyless and key-based, with the GPU smoke test, valid against its CRD schema", () => {
  const keyless = [
    "--certificate-identity-regexp",
    "^https://github.com/org/",
    "--certificate-oidc-issuer",
    "https://token.actions.githubusercontent.com",
  ];
  const gpu = ["--require-gpu-smoke", "--driver-branch", "550", "--driver-branch", "570"];
  const kinds: [string[], string, string, ReturnType<typeof clusterPolicyValidator>][] = [
    [["kyverno", "--bundle"], "ClusterPolicy", "kyverno.io/v1", validate],
    [["kyverno-ivp"], "ImageValidatingPolicy", "policies.kyverno.io/v1", imageValidatingPolicyValidator()],
    [
      ["policy-controller"],
      "ClusterImagePolicy",
      "policy.sigstore.dev/v1beta1",
      clusterImagePolicyValidator(),
    ],
  ];
  for (const [args, kind, apiVersion, check] of kinds) {
    for (const signer of [["--key", KEY], keyless]) {
      const r = cudaseal(...args, ...signer, "--image", "registry.example/org/*", ...gpu, "--json");
      assert.equal(r.status, 0, r.stderr);
      const { document } = JSON.parse(r.stdout);
      assert.equal(document.kind, kind);
      assert.equal(document.apiVersion, apiVersion);
      assert.ok(check(document), `${args.join(" ")} ${signer[0]}: ${JSON.stringify(check.errors, null, 2)}`);
      assert.match(JSON.stringify(document), /gpu-smoke\/v1/);
      assert.match(JSON.stringify(document), /570/);
    }
  }
});

test("a key-based policy that reads only cosign's tags warns, one that reads bundles does not", () => {
  const image = ["--image", "registry.example/org/*"];
  const warns = (...args: string[]) => {
    const r = cudaseal(...args, ...image);
    assert.equal(r.status, 0, r.stderr);
    return /warning: this policy reads cosign's/.test(r.stderr);
  };
  assert.equal(warns("policy-controller", "--key", KEY), true);
  assert.equal(warns("kyverno", "--key", KEY, "--bundle"), false);
  assert.equal(warns("kyverno-ivp", "--key", KEY), false);
  const keyless = [
    "--certificate-identity",
    "a@example.org",
    "--certificate-oidc-issuer",
    "https://issuer.example",
  ];
  assert.equal(warns("kyverno", ...keyless), false);
});
