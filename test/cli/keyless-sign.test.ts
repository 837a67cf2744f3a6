// `cudaseal sign --keyless` and `attest --keyless` on images, in an OCI
// layout and on a real registry, against the local Fulcio and Rekor
// stand-ins (test/helpers/sigstore.ts): the bundle referrer they store
// verifies offline from the stand-ins' trusted root as the token's identity,
// its statement names the image's digest, and another identity is refused.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import {
  findBundles,
  GPU_SMOKE_PREDICATE_TYPE,
  openImageTarget,
  readBundle,
  verifyBundle,
} from "../../src/sign/index.ts";
import { runCli } from "../helpers/cli.ts";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import {
  identityToken,
  type SigstoreStandIns,
  startSigstore,
  TEST_ISSUER,
  TEST_SUBJECT,
} from "../helpers/sigstore.ts";
import { hasTool, makeFixture } from "../oci/fixture-image.ts";

const NO_AMBIENT = {
  SIGSTORE_ID_TOKEN: "",
  ACTIONS_ID_TOKEN_REQUEST_URL: "",
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: "",
};

/** The statements of `ref`'s bundle referrers (of `predicateType`), each verified as the test identity. */
async function verifiedStatements(
  ref: string,
  trustedRoot: unknown,
  predicateType?: string,
  subject = TEST_SUBJECT,
) {
  const target = await openImageTarget(ref);
  const referrers = await findBundles(
    target.store,
    target.manifest.digest,
    predicateType ? { predicateType } : {},
  );
  const statements: {
    subject: { digest: { sha256: string } }[];
    predicateType: string;
    predicate: unknown;
  }[] = [];
  for (const referrer of referrers) {
    const stored = await readBundle(target.store, referrer);
    if (stored === undefined) continue;
    const verified = await verifyBundle(stored.bundle, {
      trustedRoot,
      identity: { subject, issuer: TEST_ISSUER },
    });
    assert.deepEqual(verified.signer, { kind: "certificate", subject, issuer: TEST_ISSUER });
    statements.push(JSON.parse((verified.dsse?.payload ?? Buffer.alloc(0)).toString("utf8")));
  }
  return { digest: target.manifest.digest, statements };
}

describe("sign and attest --keyless", () => {
  let sigstore: SigstoreStandIns;
  let work: string;
  let token: string;
  before(async () => {
    sigstore = await startSigstore();
    work = mkdtempSync(join(tmpdir(), "cudaseal-keyless-image-"));
    token = join(work, "token.jwt");
    writeFileSync(token, identityToken());
  });
  after(async () => {
    await sigstore?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });
  /** `cudaseal verify` or `verify-attestation` of `ref`, keyless, trusting the stand-ins. */
  const verifyCli = (command: string, ref: string, subject = TEST_SUBJECT, extra: string[] = []) => {
    const root = join(work, "trusted_root.json");
    writeFileSync(root, JSON.stringify(sigstore.trustedRoot));
    return runCli([
      command,
      ref,
      "--trusted-root",
      root,
      "--certificate-identity",
      subject,
      "--certificate-oidc-issuer",
      TEST_ISSUER,
      ...extra,
    ]);
  };
  const keyless = () => [
    "--keyless",
    "--identity-token",
    `@${token}`,
    "--fulcio-url",
    sigstore.fulcioURL,
    "--rekor-url",
    sigstore.rekorURL,
  ];

  test("a layout signed and attested keylessly holds bundles that verify as the token's identity", async () => {
    const dir = join(work, "layout");
    await writeOciLayout(dir, makeFixture(join(work, "fx")).single);
    const ref = `oci:${dir}:v1`;
    const signed = await runCli(["sign", ...keyless(), ref, "--json"], { env: NO_AMBIENT });
    assert.equal(signed.status, 0, signed.stderr);
    assert.match(signed.stderr, /signing as https:\/\/github\.com\/cudaseal-test\//);
    const { digest, statements } = await verifiedStatements(ref, sigstore.trustedRoot);
    assert.equal(statements.length, 1);
    assert.equal(`sha256:${statements[0].subject[0].digest.sha256}`, digest);
    await assert.rejects(
      verifiedStatements(ref, sigstore.trustedRoot, undefined, "https://github.com/someone/else"),
      (e: unknown) => isCudasealError(e, "VERIFY_IDENTITY_MISMATCH"),
    );

    const report = join(work, "smoke.json");
    writeFileSync(
      report,
      JSON.stringify({
        result: "pass",
        image: { digest },
        gpus: [{ name: "NVIDIA H100 80GB HBM3", computeCapability: "9.0", memoryBytes: 85_045_149_696 }],
        driver: { version: "550.54.15", branch: "550", cudaVersion: "12.4" },
        runtime: { cudaVersion: "12.4" },
        kernels: [{ name: "copy-64MiB", ok: true }],
        startedOn: "2026-01-02T03:04:05Z",
        finishedOn: "2026-01-02T03:04:06Z",
      }),
    );
    const attested = await runCli(
      ["attest", ...keyless(), "--type", "gpu-smoke", "--predicate", report, ref],
      {
        env: NO_AMBIENT,
      },
    );
    assert.equal(attested.status, 0, attested.stderr);
    const smoke = await verifiedStatements(ref, sigstore.trustedRoot, GPU_SMOKE_PREDICATE_TYPE);
    assert.equal(smoke.statements.length, 1);
    assert.equal(smoke.statements[0].predicateType, GPU_SMOKE_PREDICATE_TYPE);
    assert.equal((smoke.statements[0].predicate as { result: string }).result, "pass");

    // And through the command line, as a user checks them.
    const verified = await verifyCli("verify", ref);
    assert.equal(verified.status, 0, verified.stderr);
    const other = await verifyCli("verify", ref, "https://github.com/someone/else");
    assert.equal(other.status, 1);
    assert.match(other.stderr, /VERIFY_IDENTITY_MISMATCH/);
    const attestation = await verifyCli("verify-attestation", ref, TEST_SUBJECT, ["--type", "gpu-smoke"]);
    assert.equal(attestation.status, 0, attestation.stderr);
    assert.match(attestation.stdout, /"result":\s*"pass"/);
  });

  test("keyless writes bundles only, and needs a token", async () => {
    const dir = join(work, "usage");
    await writeOciLayout(dir, makeFixture(join(work, "fx2")).single);
    const cosign2 = await runCli(["sign", ...keyless(), "--new-bundle-format=false", `oci:${dir}:v1`], {
      env: NO_AMBIENT,
    });
    assert.match(cosign2.stderr, /error \[USAGE\]/);
    const noToken = await runCli(["sign", "--keyless", "--fulcio-url", sigstore.fulcioURL, `oci:${dir}:v1`], {
      env: NO_AMBIENT,
    });
    assert.match(noToken.stderr, /error \[SIGN_TOKEN_MISSING\]/);
  });

  describe("on a registry", {
    skip: !hasTool("docker-registry") && "docker-registry is not installed",
  }, () => {
    let registry: TestRegistry | undefined;
    before(async () => {
      registry = await startRegistry();
    });
    after(() => registry?.stop());

    test("the bundle referrer is pushed beside the image and verifies from there", async () => {
      const dir = join(work, "to-push");
      await writeOciLayout(dir, makeFixture(join(work, "fx3")).single);
      const ref = `${registry?.host}/team/keyless:v1`;
      const pushed = await runCli(["copy", `oci:${dir}:v1`, ref]);
      assert.equal(pushed.status, 0, pushed.stderr);
      const signed = await runCli(["sign", ...keyless(), ref], { env: NO_AMBIENT });
      assert.equal(signed.status, 0, signed.stderr);
      const { digest, statements } = await verifiedStatements(ref, sigstore.trustedRoot);
      assert.equal(statements.length, 1);
      assert.equal(`sha256:${statements[0].subject[0].digest.sha256}`, digest);
    });
  });
});
