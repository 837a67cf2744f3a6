// Secret detection on text: each pattern, the placeholders and public values
// it must not flag, and entropy. Secrets are assembled at run time so this
// file holds none.

import assert from "node:assert/strict";
import { test } from "node:test";
import { buildArgs } from "../../src/audit/config-checks.ts";
import { findSecrets, isSecretName, shannonEntropy } from "../../src/audit/index.ts";

const kinds = (text: string, mode?: "entropy" | "name") => findSecrets(text, mode).map((m) => m.kind);
const rand = (prefix: string, n: number) => prefix + "aB3dE5gH7jK9mN1pQ2sT4vW6yZ8".repeat(4).slice(0, n);

test("strong patterns: keys and tokens anywhere in text, with their line", () => {
  assert.deepEqual(kinds(`x\n${rand("ghp_", 36)}\n`), ["github-token"]);
  assert.equal(findSecrets(`x\n${rand("ghp_", 36)}\n`)[0].line, 2);
  assert.deepEqual(kinds(rand("github_pat_", 60)), ["github-token"]);
  assert.deepEqual(kinds(`token: ${rand("gho_", 36)}`), ["github-token"]);
  assert.deepEqual(kinds(rand("hf_", 34)), ["huggingface-token"]);
  assert.deepEqual(kinds(rand("xoxb-", 40)), ["slack-token"]);
  assert.deepEqual(kinds(`pip install --index-url https://bob:${rand("", 20)}@pypi.internal/simple`), [
    "url-credentials",
  ]);
  const pem = `-----BEGIN RSA PRIVATE KEY-----\n${"MIIEowIBAAKCAQEA1b2c3d4".repeat(4)}\n-----END RSA PRIVATE KEY-----\n`;
  assert.deepEqual(
    findSecrets(pem).map((m) => [m.kind, m.name]),
    [["private-key", "RSA PRIVATE KEY"]],
  );
  const gcp = JSON.stringify(
    {
      type: "service_account",
      private_key_id: "0123456789abcdef0123",
      private_key: "-----BEGIN PRIVATE KEY-----\nMII…",
    },
    null,
    1,
  );
  assert.deepEqual(kinds(gcp), ["gcp-service-account"]);
});

test("an AWS key id counts only with a secret near it", () => {
  const id = ["AKIA", "Z7Q2W8E4R6T1Y3U5"].join("");
  assert.deepEqual(kinds(`aws_access_key_id=${id}`), []);
  assert.deepEqual(kinds(`aws_access_key_id=${id}\naws_secret_access_key=${rand("", 30)}/+Zq8Lm3Np`), [
    "aws-key",
  ]);
});

test("not secrets: placeholders, headers without bodies, identifiers, hf_ names, public keys", () => {
  for (const text of [
    "API_TOKEN=<your token here>",
    "PASSWORD=changeme",
    "password = $\u007bDB_PASSWORD}",
    "SECRET_KEY = os.environ['SECRET_KEY']",
    'token = "xxxxxxxxxxxxxxxxxxxxxxxx"',
    "-----BEGIN PRIVATE KEY-----\\n-----END PRIVATE KEY-----",
    'if line.startswith("-----BEGIN OPENSSH PRIVATE KEY-----"):',
    "from huggingface_hub import hf_hub_download_with_a_long_function_name",
    "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D",
    "monkey = 'a1b2c3d4e5f6g7h8i9j0k1l2'",
    "https://user:password@example.org/",
    "KEY_FILE=/run/secrets/key.pem",
  ]) {
    assert.deepEqual(kinds(text), [], text);
  }
});

test("generic assignments need a secret name and randomness in files; a literal is enough in configs", () => {
  assert.deepEqual(kinds(`export DB_PASSWORD="${rand("", 20)}"`), ["generic"]);
  assert.deepEqual(kinds("DB_PASSWORD=hunter2hunter2"), [], "low entropy in a file");
  assert.deepEqual(kinds("DB_PASSWORD=hunter2hunter2", "name"), ["generic"], "but a literal in a config");
  assert.ok(isSecretName("HF_TOKEN"));
  assert.ok(isSecretName("dbPassword"));
  assert.ok(isSecretName("aws_secret_access_key"));
  assert.ok(!isSecretName("TOKENIZERS_PARALLELISM"));
  assert.ok(!isSecretName("PUBLIC_KEY"));
  assert.ok(!isSecretName("KEY_ID"));
  assert.ok(shannonEntropy("aaaaaaaa") === 0);
  assert.ok(shannonEntropy(rand("", 24)) > 4);
});

test("build arguments are read from BuildKit's RUN history lines", () => {
  assert.deepEqual(buildArgs('RUN |2 TOKEN=abc NAME="a b" /bin/sh -c make'), [
    ["TOKEN", "abc"],
    ["NAME", "a b"],
  ]);
  assert.deepEqual(buildArgs("|1 PIP_INDEX=https://x /bin/sh -c pip install"), [["PIP_INDEX", "https://x"]]);
  assert.deepEqual(buildArgs("/bin/sh -c #(nop) ARG TOKEN"), []);
});
