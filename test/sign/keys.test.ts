import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createPublicKey, generateKeyPairSync, sign, verify } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { decryptKey, SCRYPT_PARAMS } from "../../src/sign/encrypted-key.ts";
import {
  generateKeyPair,
  parsePrivateKey,
  parsePublicKey,
  readPrivateKey,
  readPublicKey,
  writeKeyPair,
} from "../../src/sign/keys.ts";
import { decodePem } from "../../src/sign/pem.ts";
import { keySigner, keyVerifier } from "../../src/sign/signer.ts";

const dir = mkdtempSync(join(tmpdir(), "cudaseal-keys-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const pw = (p: string) => async () => p;

describe("cosign key format", () => {
  it("round-trips: the encrypted key opens with its password and pairs with the public key", async () => {
    const pair = await generateKeyPair("s3cret");
    const block = decodePem(pair.privateKey, "key");
    assert.equal(block.type, "ENCRYPTED SIGSTORE PRIVATE KEY");
    const body = JSON.parse(block.bytes.toString("utf8"));
    assert.deepEqual(body.kdf.params, SCRYPT_PARAMS);
    assert.equal(body.kdf.name, "scrypt");
    assert.equal(body.cipher.name, "nacl/secretbox");
    assert.equal(Buffer.from(body.kdf.salt, "base64").length, 32);
    assert.equal(Buffer.from(body.cipher.nonce, "base64").length, 24);
    assert.match(pair.publicKey, /^-----BEGIN PUBLIC KEY-----\n/);

    const priv = await parsePrivateKey(pair.privateKey, pw("s3cret"));
    assert.equal(priv.asymmetricKeyDetails?.namedCurve, "prime256v1");
    const pub = parsePublicKey(pair.publicKey);
    const sig = sign("sha256", Buffer.from("msg"), priv);
    assert.ok(verify("sha256", Buffer.from("msg"), pub, sig));
    // The plaintext is PKCS#8 DER, which is what cosign marshals.
    const der = await decryptKey(block.bytes, "s3cret", "key");
    assert.equal(der[0], 0x30);
  });

  it("refuses a wrong password with KEY_PASSWORD_WRONG", async () => {
    const pair = await generateKeyPair("right");
    await assert.rejects(parsePrivateKey(pair.privateKey, pw("wrong")), (e) =>
      isCudasealError(e, "KEY_PASSWORD_WRONG"),
    );
  });

  it("accepts an empty password, as cosign does", async () => {
    const pair = await generateKeyPair("");
    const key = await parsePrivateKey(pair.privateKey, pw(""));
    assert.equal(key.type, "private");
  });

  it("reads plain PEM keys made by openssl: SEC1 EC PRIVATE KEY and PKCS#8", async () => {
    const sec1 = execFileSync("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout"], {
      encoding: "utf8",
    });
    assert.match(sec1, /BEGIN EC PRIVATE KEY/);
    const pkcs8 = execFileSync("openssl", ["pkcs8", "-topk8", "-nocrypt"], { input: sec1, encoding: "utf8" });
    assert.match(pkcs8, /BEGIN PRIVATE KEY/);
    const never = async (): Promise<string> => assert.fail("a plain key needs no password");
    const a = await parsePrivateKey(sec1, never);
    const b = await parsePrivateKey(pkcs8, never);
    assert.deepEqual(
      createPublicKey(a).export({ format: "der", type: "spki" }),
      createPublicKey(b).export({ format: "der", type: "spki" }),
    );
  });

  it("tells a public key from a private one", async () => {
    const pair = await generateKeyPair("x");
    await assert.rejects(parsePrivateKey(pair.publicKey, pw("x")), (e) => isCudasealError(e, "KEY_INVALID"));
    assert.throws(
      () => parsePublicKey(pair.privateKey),
      (e) => isCudasealError(e, "KEY_INVALID"),
    );
    assert.throws(
      () => parsePublicKey("not a key"),
      (e) => isCudasealError(e, "KEY_INVALID"),
    );
  });

  it("refuses key types cosign does not sign with", () => {
    const { publicKey } = generateKeyPairSync("x25519");
    const pem = publicKey.export({ format: "pem", type: "spki" }).toString();
    assert.throws(
      () => parsePublicKey(pem),
      (e) => isCudasealError(e, "KEY_UNSUPPORTED"),
    );
  });

  it("refuses a hostile scrypt cost before spending the memory", async () => {
    const pair = await generateKeyPair("x");
    const block = decodePem(pair.privateKey, "key");
    const body = JSON.parse(block.bytes.toString("utf8"));
    body.kdf.params.N = 2 ** 24;
    const evil = `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n${Buffer.from(JSON.stringify(body)).toString("base64")}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n`;
    await assert.rejects(parsePrivateKey(evil, pw("x")), (e) => isCudasealError(e, "KEY_UNSUPPORTED"));
  });

  it("writes cosign.key with mode 0600 and refuses to overwrite without force", async () => {
    const prefix = join(dir, "cosign");
    const first = await generateKeyPair("pw");
    const written = await writeKeyPair(first, prefix);
    assert.equal(statSync(written.privateKeyPath).mode & 0o777, 0o600);
    assert.equal(readFileSync(written.publicKeyPath, "utf8"), first.publicKey);
    const second = await generateKeyPair("pw");
    await assert.rejects(writeKeyPair(second, prefix), (e) => isCudasealError(e, "KEY_EXISTS"));
    assert.equal(readFileSync(written.privateKeyPath, "utf8"), first.privateKey, "the old key is untouched");
    writeFileSync(`${prefix}.key`, "old", { mode: 0o644 });
    await writeKeyPair(second, prefix, { force: true });
    assert.equal(statSync(written.privateKeyPath).mode & 0o777, 0o600);
    const key = await readPrivateKey(written.privateKeyPath, pw("pw"));
    const signer = keySigner(key);
    const { signature } = await signer.sign(Buffer.from("hello"));
    assert.ok(
      keyVerifier(await readPublicKey(written.publicKeyPath)).verify(Buffer.from("hello"), signature),
    );
  });

  it("writes neither file when only the .pub exists: a new .key beside an old .pub would not match", async () => {
    const prefix = join(dir, "half");
    writeFileSync(`${prefix}.pub`, "old public key");
    await assert.rejects(writeKeyPair(await generateKeyPair("pw"), prefix), (e) =>
      isCudasealError(e, "KEY_EXISTS"),
    );
    assert.equal(existsSync(`${prefix}.key`), false);
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.startsWith("half") && n.endsWith(".tmp")),
      [],
      "no temporary file is left",
    );
  });
});
