// `cudaseal sign-blob` through the command line: keyless against the local
// Fulcio and Rekor stand-ins (test/helpers/sigstore.ts) with the token given,
// in a file, or from a GitHub Actions job's endpoint, then checked offline by
// `cudaseal verify-blob` against the stand-ins' trusted root; with a key,
// checked by cudaseal and by the real cosign; and each failure's code.

import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type CliResult, runCli } from "../helpers/cli.ts";
import {
  identityToken,
  type SigstoreStandIns,
  startGithubTokenEndpoint,
  startSigstore,
  TEST_ISSUER,
  TEST_SUBJECT,
} from "../helpers/sigstore.ts";
import { cosign, needsCosign } from "../sign/cosign-tool.ts";

const PUBLIC_GOOD_ROOT = join(
  import.meta.dirname,
  "..",
  "..",
  "data",
  "sigstore",
  "public-good-trusted-root.json",
);

/** No ambient token reaches the command unless a test gives one. */
const NO_AMBIENT = {
  SIGSTORE_ID_TOKEN: "",
  ACTIONS_ID_TOKEN_REQUEST_URL: "",
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: "",
};

function errorCode(r: CliResult): string | undefined {
  return /error \[([A-Z_]+)\]/.exec(r.stderr)?.[1];
}

describe("cudaseal sign-blob", () => {
  let sigstore: SigstoreStandIns;
  let dir: string;
  let file: string;
  let root: string;
  let tokenFile: string;
  before(async () => {
    sigstore = await startSigstore();
    dir = mkdtempSync(join(tmpdir(), "cudaseal-sign-blob-"));
    file = join(dir, "model.bin");
    writeFileSync(file, "weights\n".repeat(1000));
    root = join(dir, "trusted_root.json");
    writeFileSync(root, JSON.stringify(sigstore.trustedRoot));
    tokenFile = join(dir, "token.jwt");
    writeFileSync(tokenFile, `${identityToken()}\n`);
  });
  after(async () => {
    await sigstore?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const services = () => ["--fulcio-url", sigstore.fulcioURL, "--rekor-url", sigstore.rekorURL];
  const verify = (bundle: string, identity = TEST_SUBJECT, target = file) =>
    runCli([
      "verify-blob",
      target,
      "--bundle",
      bundle,
      "--trusted-root",
      root,
      "--certificate-identity",
      identity,
      "--certificate-oidc-issuer",
      TEST_ISSUER,
    ]);

  test("--keyless with a token file writes a bundle that verify-blob checks offline as that identity", async () => {
    const bundle = join(dir, "keyless.sigstore.json");
    const r = await runCli(
      [
        "sign-blob",
        file,
        "--bundle",
        bundle,
        "--keyless",
        "--identity-token",
        `@${tokenFile}`,
        ...services(),
        "--json",
      ],
      { env: NO_AMBIENT },
    );
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.signer, { kind: "keyless", subject: TEST_SUBJECT, issuer: TEST_ISSUER });
    assert.equal(out.tlogEntries, 1);
    assert.equal(
      JSON.parse(readFileSync(bundle, "utf8")).mediaType,
      "application/vnd.dev.sigstore.bundle.v0.3+json",
    );
    const ok = await verify(bundle);
    assert.equal(ok.status, 0, ok.stderr);
    if (!needsCosign) {
      const theirs = cosign([
        "verify-blob",
        "--bundle",
        bundle,
        "--new-bundle-format",
        "--trusted-root",
        root,
        "--certificate-identity",
        TEST_SUBJECT,
        "--certificate-oidc-issuer",
        TEST_ISSUER,
        file,
      ]);
      assert.equal(theirs.status, 0, `the real cosign refused it: ${theirs.stderr}`);
    }
    const wrong = await verify(
      bundle,
      "https://github.com/someone-else/repo/.github/workflows/x.yml@refs/heads/main",
    );
    assert.equal(wrong.status, 1);
    assert.equal(errorCode(wrong), "VERIFY_IDENTITY_MISMATCH");
    const other = join(dir, "other.bin");
    writeFileSync(other, "not the weights\n");
    const mismatch = await verify(bundle, TEST_SUBJECT, other);
    assert.equal(mismatch.status, 1);
    assert.match(errorCode(mismatch) ?? "", /^VERIFY_/);
  });

  test("in a GitHub Actions job the job's token is asked for, with the audience sigstore", async () => {
    const endpoint = await startGithubTokenEndpoint(identityToken());
    try {
      const bundle = join(dir, "ambient.sigstore.json");
      const r = await runCli(["sign-blob", file, "--bundle", bundle, "--keyless", ...services()], {
        env: { ...NO_AMBIENT, ...endpoint.env },
      });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /signing as https:\/\/github\.com\/cudaseal-test\/demo/);
      assert.deepEqual(endpoint.audiences, ["sigstore"]);
      const ok = await verify(bundle);
      assert.equal(ok.status, 0, ok.stderr);
    } finally {
      await endpoint.stop();
    }
  });

  test("without a token is SIGN_TOKEN_MISSING; with Fulcio down SIGN_KEYLESS_FAILED; no bundle is left", async () => {
    const bundle = join(dir, "never.sigstore.json");
    const none = await runCli(["sign-blob", file, "--bundle", bundle, "--keyless", ...services()], {
      env: NO_AMBIENT,
    });
    assert.notEqual(none.status, 0);
    assert.equal(errorCode(none), "SIGN_TOKEN_MISSING");
    const down = await runCli(
      [
        "sign-blob",
        file,
        "--bundle",
        bundle,
        "--keyless",
        "--identity-token",
        identityToken(),
        "--fulcio-url",
        "http://127.0.0.1:9",
        "--rekor-url",
        sigstore.rekorURL,
      ],
      { env: NO_AMBIENT },
    );
    assert.notEqual(down.status, 0);
    assert.equal(errorCode(down), "SIGN_KEYLESS_FAILED");
    assert.match(down.stderr, /Fulcio/);
    const bad = await runCli(
      ["sign-blob", file, "--bundle", bundle, "--keyless", "--identity-token", "not-a-jwt"],
      {
        env: NO_AMBIENT,
      },
    );
    assert.equal(errorCode(bad), "SIGN_TOKEN_INVALID");
    assert.throws(() => readFileSync(bundle));
  });

  test("usage: one of --key and --keyless, and keyless flags only with --keyless", async () => {
    for (const args of [
      [file, "--bundle", join(dir, "u.json")],
      [file, "--bundle", join(dir, "u.json"), "--keyless", "--key", "cosign.key"],
      [file, "--bundle", join(dir, "u.json"), "--key", "cosign.key", "--fulcio-url", sigstore.fulcioURL],
      [file, "--keyless"],
    ]) {
      const r = await runCli(["sign-blob", ...args], { env: NO_AMBIENT });
      assert.equal(errorCode(r), "USAGE", args.join(" "));
    }
  });

  describe("with a key", () => {
    let keyFile: string;
    let pubFile: string;
    before(() => {
      const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
      keyFile = join(dir, "key.pem");
      pubFile = join(dir, "key.pub");
      writeFileSync(keyFile, privateKey.export({ format: "pem", type: "pkcs8" }));
      writeFileSync(pubFile, publicKey.export({ format: "pem", type: "spki" }));
    });

    test("writes a bundle naming the key's hint, which verify-blob --key checks", async () => {
      const bundle = join(dir, "key.sigstore.json");
      const r = await runCli(["sign-blob", file, "--bundle", bundle, "--key", keyFile, "--json"]);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout).signer, { kind: "key" });
      const ok = await runCli([
        "verify-blob",
        file,
        "--bundle",
        bundle,
        "--key",
        pubFile,
        "--insecure-ignore-tlog",
      ]);
      assert.equal(ok.status, 0, ok.stderr);
    });

    test("the real cosign verifies it", { skip: needsCosign }, async () => {
      const bundle = join(dir, "key-cosign.sigstore.json");
      const r = await runCli(["sign-blob", file, "--bundle", bundle, "--key", keyFile]);
      assert.equal(r.status, 0, r.stderr);
      const c = cosign([
        "verify-blob",
        "--key",
        pubFile,
        "--bundle",
        bundle,
        "--new-bundle-format",
        "--insecure-ignore-tlog",
        // A trusted root keeps cosign from asking TUF for one: the key is what is checked.
        "--trusted-root",
        PUBLIC_GOOD_ROOT,
        file,
      ]);
      assert.equal(c.status, 0, c.stderr);
    });
  });
});
