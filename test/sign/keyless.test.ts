// Keyless signing against local Fulcio and Rekor stand-ins
// (test/helpers/sigstore.ts): the bundle it makes verifies offline from the
// stand-ins' trusted root with cosign's identity checks, and each way it can
// fail (no token, a token that is not a JWT, Fulcio or Rekor down) has its
// code. The token's sources are tried in cosign's order.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { verifyBundle } from "../../src/sign/bundle-verify.ts";
import { identityToken, parseIdentityToken } from "../../src/sign/identity-token.ts";
import { keylessBundleSigner } from "../../src/sign/keyless-signer.ts";
import {
  identityToken as makeToken,
  type SigstoreStandIns,
  startGithubTokenEndpoint,
  startSigstore,
  TEST_ISSUER,
  TEST_SUBJECT,
} from "../helpers/sigstore.ts";

const code = (expected: string) => (e: unknown) => {
  assert.ok(isCudasealError(e, expected as never), `expected ${expected}, got ${String(e)}`);
  return true;
};

describe("keyless signing with Fulcio and Rekor", () => {
  let sigstore: SigstoreStandIns;
  before(async () => {
    sigstore = await startSigstore();
  });
  after(() => sigstore?.stop());

  const signer = (urls: { fulcioURL?: string; rekorURL?: string } = {}) =>
    keylessBundleSigner({
      token: parseIdentityToken(makeToken(), "flag"),
      fulcioURL: urls.fulcioURL ?? sigstore.fulcioURL,
      rekorURL: urls.rekorURL ?? sigstore.rekorURL,
      retries: 0,
    });

  it("signs a blob into a v0.3 bundle that verifies offline as the token's identity", async () => {
    const blob = Buffer.from("model weights, say\n");
    const bundle = await signer().signMessage(blob);
    assert.equal(bundle.mediaType, "application/vnd.dev.sigstore.bundle.v0.3+json");
    assert.ok(bundle.verificationMaterial.certificate, "a single certificate, as cosign 3 writes");
    assert.equal(bundle.verificationMaterial.tlogEntries.length, 1);
    const verified = await verifyBundle(
      JSON.parse(JSON.stringify(bundle)),
      { trustedRoot: sigstore.trustedRoot, identity: { subject: TEST_SUBJECT, issuer: TEST_ISSUER } },
      blob,
    );
    assert.deepEqual(verified.signer, { kind: "certificate", subject: TEST_SUBJECT, issuer: TEST_ISSUER });
    assert.ok(verified.signedAt instanceof Date);
    await assert.rejects(
      verifyBundle(
        bundle,
        { trustedRoot: sigstore.trustedRoot, identity: { subject: TEST_SUBJECT, issuer: TEST_ISSUER } },
        Buffer.from("other"),
      ),
      (e: unknown) => isCudasealError(e) && e.code.startsWith("VERIFY_"),
    );
  });

  it("signs a DSSE payload whose bundle returns the payload; another identity or issuer is refused", async () => {
    const payload = Buffer.from(JSON.stringify({ _type: "https://in-toto.io/Statement/v1", subject: [] }));
    const bundle = await signer().signDsse(payload, "application/vnd.in-toto+json");
    assert.equal(bundle.mediaType, "application/vnd.dev.sigstore.bundle.v0.3+json");
    const trust = { trustedRoot: sigstore.trustedRoot };
    const verified = await verifyBundle(bundle, {
      ...trust,
      identity: { subjectRegExp: "^https://github\\.com/cudaseal-test/", issuer: TEST_ISSUER },
    });
    assert.deepEqual(verified.dsse, { payload, payloadType: "application/vnd.in-toto+json" });
    await assert.rejects(
      verifyBundle(bundle, { ...trust, identity: { subject: "someone@example.com", issuer: TEST_ISSUER } }),
      code("VERIFY_IDENTITY_MISMATCH"),
    );
    await assert.rejects(
      verifyBundle(bundle, {
        ...trust,
        identity: { subject: TEST_SUBJECT, issuer: "https://accounts.google.com" },
      }),
      code("VERIFY_ISSUER_MISMATCH"),
    );
  });

  it("one signer asks Fulcio once and logs each signature in Rekor", async () => {
    const before = { ...sigstore.requests };
    const one = signer();
    const a = await one.signDsse(Buffer.from("{}"), "application/vnd.in-toto+json");
    const b = await one.signMessage(Buffer.from("second"));
    assert.equal(sigstore.requests.fulcio - before.fulcio, 1);
    assert.equal(sigstore.requests.rekor - before.rekor, 2);
    assert.equal(a.verificationMaterial.certificate?.rawBytes, b.verificationMaterial.certificate?.rawBytes);
    const trust = {
      trustedRoot: sigstore.trustedRoot,
      identity: { subject: TEST_SUBJECT, issuer: TEST_ISSUER },
    };
    await verifyBundle(a, trust);
    await verifyBundle(b, trust, Buffer.from("second"));
  });

  it("Fulcio or Rekor not answering is SIGN_KEYLESS_FAILED naming the service", async () => {
    const down = "http://127.0.0.1:9"; // discard: nothing listens
    await assert.rejects(signer({ fulcioURL: down }).signMessage(Buffer.from("x")), (e: unknown) => {
      assert.ok(isCudasealError(e, "SIGN_KEYLESS_FAILED"), String(e));
      assert.equal((e.details as { service?: string }).service, "fulcio");
      return true;
    });
    await assert.rejects(signer({ rekorURL: down }).signMessage(Buffer.from("x")), (e: unknown) => {
      assert.ok(isCudasealError(e, "SIGN_KEYLESS_FAILED"), String(e));
      assert.equal((e.details as { service?: string }).service, "rekor");
      return true;
    });
  });

  it("refuses a Fulcio URL that is not http(s)", () => {
    assert.throws(
      () => keylessBundleSigner({ token: parseIdentityToken(makeToken(), "flag"), fulcioURL: "file:///etc" }),
      code("USAGE"),
    );
  });
});

describe("the identity token", () => {
  const dir = mkdtempSync(join(tmpdir(), "cudaseal-token-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("is missing without a flag, SIGSTORE_ID_TOKEN or a GitHub Actions job (SIGN_TOKEN_MISSING)", async () => {
    await assert.rejects(identityToken({ env: {} }), code("SIGN_TOKEN_MISSING"));
    await assert.rejects(
      identityToken({ env: { ACTIONS_ID_TOKEN_REQUEST_URL: "http://x" } }),
      code("SIGN_TOKEN_MISSING"),
    );
  });

  it("comes from the flag, an @file, then SIGSTORE_ID_TOKEN, in that order", async () => {
    const a = makeToken({ sub: "a" });
    const b = makeToken({ sub: "b" });
    const file = join(dir, "token");
    writeFileSync(file, `${b}\n`);
    assert.equal((await identityToken({ given: a, env: { SIGSTORE_ID_TOKEN: b } })).subject, "a");
    assert.equal((await identityToken({ given: `@${file}`, env: {} })).source, "file");
    assert.equal((await identityToken({ given: `@${file}`, env: {} })).subject, "b");
    const fromEnv = await identityToken({ env: { SIGSTORE_ID_TOKEN: b } });
    assert.deepEqual(
      [fromEnv.subject, fromEnv.issuer, fromEnv.source],
      ["b", TEST_ISSUER, "SIGSTORE_ID_TOKEN"],
    );
    await assert.rejects(identityToken({ given: `@${join(dir, "absent")}`, env: {} }), (e: unknown) =>
      isCudasealError(e),
    );
  });

  it("is asked of the GitHub Actions runtime with the audience sigstore", async () => {
    const endpoint = await startGithubTokenEndpoint(
      makeToken({ sub: "repo:cudaseal-test/demo:ref:refs/heads/main" }),
    );
    try {
      const t = await identityToken({ env: endpoint.env });
      assert.equal(t.source, "github-actions");
      assert.equal(t.subject, "repo:cudaseal-test/demo:ref:refs/heads/main");
      assert.deepEqual(endpoint.audiences, ["sigstore"]);
      await assert.rejects(
        identityToken({ env: { ...endpoint.env, ACTIONS_ID_TOKEN_REQUEST_TOKEN: "wrong" } }),
        code("SIGN_TOKEN_MISSING"),
      );
    } finally {
      await endpoint.stop();
    }
  });

  it("must be an unexpired JWT naming an issuer and a subject (SIGN_TOKEN_INVALID)", () => {
    for (const bad of [
      "not-a-jwt",
      "a.b",
      `x.${Buffer.from("[1]").toString("base64url")}.y`,
      makeToken({ iss: undefined }),
      makeToken({ sub: "" }),
      makeToken({ email: "me@example.com", email_verified: false }),
      makeToken({ exp: Math.floor(Date.now() / 1000) - 60 }),
    ]) {
      assert.throws(() => parseIdentityToken(bad, "flag"), code("SIGN_TOKEN_INVALID"), bad);
    }
    const verifiedEmail = parseIdentityToken(
      makeToken({ email: "me@example.com", email_verified: true }),
      "flag",
    );
    assert.equal(verifiedEmail.subject, "me@example.com");
  });
});
