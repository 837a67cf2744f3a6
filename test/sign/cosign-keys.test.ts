// cudaseal's keys and signatures against the real cosign: each reads the
// other's key files, and each verifies the other's blob signatures.

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { generateKeyPair, readPrivateKey, readPublicKey, writeKeyPair } from "../../src/sign/keys.ts";
import { keySigner, keyVerifier } from "../../src/sign/signer.ts";
import { cosign, cosignOk, needsCosign } from "./cosign-tool.ts";

const dir = mkdtempSync(join(tmpdir(), "cudaseal-cosign-keys-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const env = { COSIGN_PASSWORD: "interop-pw" };

describe("keys and signatures shared with cosign", { skip: needsCosign }, () => {
  it("reads a key pair written by cosign generate-key-pair and signs what cosign verify-blob accepts", async () => {
    const work = join(dir, "from-cosign");
    mkdirSync(work, { recursive: true });
    cosignOk(["generate-key-pair"], { env, cwd: work });
    const key = await readPrivateKey(join(work, "cosign.key"), async () => "interop-pw");
    const pub = await readPublicKey(join(work, "cosign.pub"));
    const blob = Buffer.from("a blob signed by cudaseal\n");
    writeFileSync(join(work, "blob"), blob);
    const { signature } = await keySigner(key).sign(blob);
    writeFileSync(join(work, "blob.sig"), signature.toString("base64"));
    assert.ok(keyVerifier(pub).verify(blob, signature));
    const out = cosign(
      ["verify-blob", "--key", "cosign.pub", "--insecure-ignore-tlog", "--signature", "blob.sig", "blob"],
      { cwd: work },
    );
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stderr, /Verified OK/);
    // And a tampered blob is refused by cosign too: the check is real.
    writeFileSync(join(work, "blob"), "changed\n");
    const bad = cosign(
      ["verify-blob", "--key", "cosign.pub", "--insecure-ignore-tlog", "--signature", "blob.sig", "blob"],
      {
        cwd: work,
      },
    );
    assert.notEqual(bad.status, 0);
  });

  it("writes a key pair cosign sign-blob uses, and verifies cosign's signature with it", async () => {
    const work = join(dir, "from-cudaseal");
    mkdirSync(work, { recursive: true });
    await writeKeyPair(await generateKeyPair("interop-pw"), join(work, "cosign"));
    writeFileSync(join(work, "blob"), "a blob signed by cosign\n");
    const sig = cosignOk(["sign-blob", "--key", "cosign.key", "--tlog-upload=false", "blob"], {
      env,
      cwd: work,
    }).trim();
    const pub = await readPublicKey(join(work, "cosign.pub"));
    assert.ok(keyVerifier(pub).verify(readFileSync(join(work, "blob")), Buffer.from(sig, "base64")));
    // cosign reads cudaseal's public key too.
    writeFileSync(join(work, "blob.sig"), sig);
    cosignOk(
      ["verify-blob", "--key", "cosign.pub", "--insecure-ignore-tlog", "--signature", "blob.sig", "blob"],
      {
        cwd: work,
      },
    );
  });

  it("refuses cosign's key with the wrong password", async () => {
    const work = join(dir, "from-cosign");
    await assert.rejects(
      readPrivateKey(join(work, "cosign.key"), async () => "nope"),
      {
        code: "KEY_PASSWORD_WRONG",
      },
    );
  });
});
