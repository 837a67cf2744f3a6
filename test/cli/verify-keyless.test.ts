// `cudaseal verify` with cosign's keyless flags, on a layout signed
// keylessly against the local Fulcio and Rekor stand-ins
// (test/helpers/sigstore.ts): an identity matched by a regular expression
// passes; another issuer and another Sigstore instance's root each fail
// with their code; the flags are checked before any work.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { runCli } from "../helpers/cli.ts";
import {
  identityToken,
  type SigstoreStandIns,
  startSigstore,
  TEST_ISSUER,
  TEST_SUBJECT,
} from "../helpers/sigstore.ts";
import { makeFixture } from "../oci/fixture-image.ts";

const NO_AMBIENT = {
  SIGSTORE_ID_TOKEN: "",
  ACTIONS_ID_TOKEN_REQUEST_URL: "",
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: "",
};

function code(stderr: string): string | undefined {
  return /error \[([A-Z_]+)\]/.exec(stderr)?.[1];
}

describe("verify, keyless", () => {
  let sigstore: SigstoreStandIns;
  let work: string;
  let ref: string;
  let root: string;
  before(async () => {
    sigstore = await startSigstore();
    work = mkdtempSync(join(tmpdir(), "cudaseal-verify-keyless-"));
    root = join(work, "trusted_root.json");
    writeFileSync(root, JSON.stringify(sigstore.trustedRoot));
    const token = join(work, "token.jwt");
    writeFileSync(token, identityToken());
    const dir = join(work, "layout");
    await writeOciLayout(dir, makeFixture(join(work, "fx")).single);
    ref = `oci:${dir}:v1`;
    const signed = await runCli(
      [
        "sign",
        "--keyless",
        "--identity-token",
        `@${token}`,
        "--fulcio-url",
        sigstore.fulcioURL,
        "--rekor-url",
        sigstore.rekorURL,
        ref,
      ],
      { env: NO_AMBIENT },
    );
    assert.equal(signed.status, 0, signed.stderr);
  });
  after(async () => {
    await sigstore?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test("a regular expression for the identity and the issuer passes, and --json names the signer", async () => {
    const r = await runCli([
      "verify",
      ref,
      "--trusted-root",
      root,
      "--certificate-identity-regexp",
      "^https://github\\.com/cudaseal-test/",
      "--certificate-oidc-issuer-regexp",
      "\\.test\\.invalid$",
      "--json",
    ]);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.verified.length, 1);
    assert.deepEqual(out.verified[0].bundle.signer, {
      kind: "certificate",
      subject: TEST_SUBJECT,
      issuer: TEST_ISSUER,
    });
  });

  test("another issuer, or the public-good root in place of the instance's, fails with its code", async () => {
    const issuer = await runCli([
      "verify",
      ref,
      "--trusted-root",
      root,
      "--certificate-identity",
      TEST_SUBJECT,
      "--certificate-oidc-issuer",
      "https://accounts.google.com",
    ]);
    assert.equal(issuer.status, 1);
    assert.equal(code(issuer.stderr), "VERIFY_ISSUER_MISMATCH", issuer.stderr);
    // No --trusted-root: the shipped public-good root knows neither this log nor this CA.
    const other = await runCli([
      "verify",
      ref,
      "--certificate-identity",
      TEST_SUBJECT,
      "--certificate-oidc-issuer",
      TEST_ISSUER,
    ]);
    assert.equal(other.status, 1);
    assert.equal(code(other.stderr), "VERIFY_TLOG_UNKNOWN", other.stderr);
  });

  test("the flags: an identity needs an issuer, and --key does not mix with them", async () => {
    const pub = join(work, "k.pub");
    writeFileSync(pub, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
    for (const args of [
      ["verify", ref, "--certificate-identity", TEST_SUBJECT],
      ["verify-attestation", ref, "--certificate-oidc-issuer", TEST_ISSUER],
      [
        "verify",
        ref,
        "--key",
        pub,
        "--certificate-identity",
        TEST_SUBJECT,
        "--certificate-oidc-issuer",
        TEST_ISSUER,
      ],
      ["verify", ref],
    ]) {
      const r = await runCli(args);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(code(r.stderr), "USAGE");
    }
  });
});
