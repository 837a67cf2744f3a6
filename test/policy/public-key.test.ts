// The key a policy pins: cosign.pub from the real cosign and from
// node:crypto is taken; private keys, other algorithms and curves, broken
// PEM and unreadable files are refused by code.

import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { policyPublicKey, readPolicyPublicKey } from "../../src/policy/index.ts";
import { cosignOk, needsCosign } from "../sign/cosign-tool.ts";

const dir = mkdtempSync(join(tmpdir(), "cudaseal-policy-key-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" });
const spki = p256.publicKey.export({ format: "pem", type: "spki" }).toString();

function pem(type: string, bytes: Uint8Array): string {
  const b64 =
    Buffer.from(bytes)
      .toString("base64")
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${b64.join("\n")}\n-----END ${type}-----\n`;
}

test("a P-256 SPKI public key comes back canonical", () => {
  assert.equal(policyPublicKey(spki), spki);
  assert.equal(policyPublicKey(`comment line\n${spki.replace(/\n/g, "\r\n")}trailing`), spki);
});

test("the real cosign's cosign.pub is taken, its cosign.key refused", { skip: needsCosign }, async () => {
  cosignOk(["generate-key-pair"], { cwd: dir, env: { COSIGN_PASSWORD: "policy-test" } });
  const pub = await readPolicyPublicKey(join(dir, "cosign.pub"));
  assert.match(pub, /^-----BEGIN PUBLIC KEY-----\n/);
  await assert.rejects(readPolicyPublicKey(join(dir, "cosign.key")), (e) =>
    isCudasealError(e, "KEY_INVALID"),
  );
});

test("private keys are KEY_INVALID, never turned into their public half", () => {
  const pkcs8 = p256.privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  const sec1 = p256.privateKey.export({ format: "pem", type: "sec1" }).toString();
  const sigstore = pem("ENCRYPTED SIGSTORE PRIVATE KEY", randomBytes(200));
  for (const text of [pkcs8, sec1, sigstore]) {
    assert.throws(
      () => policyPublicKey(text),
      (e) => isCudasealError(e, "KEY_INVALID") && /PRIVATE/.test(String(e.details?.pemType)),
    );
  }
});

test("malformed keys are KEY_INVALID", () => {
  const cases = [
    "",
    "not a key at all",
    spki.replace(/-----END PUBLIC KEY-----\n$/, ""),
    pem("PUBLIC KEY", randomBytes(91)),
    pem("PUBLIC KEY", Buffer.from("!!!")).replace(/ISEh/, "*&^%"),
    pem("CERTIFICATE", randomBytes(300)),
    `${spki}${spki}`,
  ];
  for (const text of cases) {
    assert.throws(
      () => policyPublicKey(text),
      (e) => isCudasealError(e, "KEY_INVALID"),
      JSON.stringify(text.slice(0, 40)),
    );
  }
});

test("public keys of other algorithms or curves are KEY_UNSUPPORTED", () => {
  const others = [
    generateKeyPairSync("ec", { namedCurve: "P-384" }).publicKey,
    generateKeyPairSync("ec", { namedCurve: "secp256k1" }).publicKey,
    generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey,
    generateKeyPairSync("ed25519").publicKey,
  ];
  for (const key of others) {
    const text = key.export({ format: "pem", type: "spki" }).toString();
    assert.throws(
      () => policyPublicKey(text),
      (e) => isCudasealError(e, "KEY_UNSUPPORTED"),
      key.asymmetricKeyType,
    );
  }
});

test("an unreadable key file is KEY_INVALID, an oversized one INPUT_TOO_LARGE", async () => {
  await assert.rejects(readPolicyPublicKey(join(dir, "missing.pub")), (e) =>
    isCudasealError(e, "KEY_INVALID"),
  );
  const big = join(dir, "big.pub");
  writeFileSync(big, `${spki}${"#".repeat(70 * 1024)}`);
  await assert.rejects(readPolicyPublicKey(big), (e) => isCudasealError(e, "INPUT_TOO_LARGE"));
  const ok = join(dir, "ok.pub");
  writeFileSync(ok, spki);
  assert.equal(await readPolicyPublicKey(ok), readFileSync(ok, "utf8"));
});

test("a key path naming a device that never ends is INPUT_NOT_REGULAR, never read", async () => {
  await assert.rejects(readPolicyPublicKey("/dev/zero"), (e) => isCudasealError(e, "INPUT_NOT_REGULAR"));
});
