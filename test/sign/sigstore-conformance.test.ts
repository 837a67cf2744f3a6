// Sigstore's conformance suite (sigstore-conformance, test/assets/bundle-verify):
// every case runs through verifyBlob, the function behind `cudaseal
// verify-blob`, with the inputs the suite's harness passes a client (the
// case's artifact or a.txt, its key.pub or the default identity and issuer,
// its trusted_root.json or the public-good one), and must give the suite's
// verdict: a directory named *_fail must fail, any other must pass. A
// sample also runs through the command line in test/cli/verify-blob.test.ts.
// Exceptions, with reasons, are listed in docs/signing.md; there are none.

import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { isCudasealError } from "../../src/errors.ts";
import type { BundleTrust } from "../../src/sign/bundle-verify.ts";
import { PUBLIC_GOOD_TRUSTED_ROOT, readTrustedRoot } from "../../src/sign/trusted-root.ts";
import { verifyBlob } from "../../src/sign/verify-blob.ts";

const ASSETS = join(import.meta.dirname, "..", "fixtures", "sigstore-conformance", "bundle-verify");
const DEFAULT_IDENTITY =
  "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER = "https://token.actions.githubusercontent.com";

/** Cases whose verdict differs from the suite's, with the reason (docs/signing.md lists them). */
const EXCEPTIONS: Readonly<Record<string, string>> = {};

const cases = readdirSync(ASSETS).filter((name) => existsSync(join(ASSETS, name, "bundle.sigstore.json")));

test("the suite's cases are all here", () => {
  assert.ok(cases.length >= 70, `${cases.length} cases`);
  assert.ok(cases.some((c) => c.endsWith("_fail")) && cases.some((c) => !c.endsWith("_fail")));
});

async function trustFor(dir: string): Promise<BundleTrust> {
  const own = join(dir, "trusted_root.json");
  const trustedRoot = await readTrustedRoot(existsSync(own) ? own : PUBLIC_GOOD_TRUSTED_ROOT.pathname);
  const key = join(dir, "key.pub");
  if (existsSync(key)) return { publicKey: readFileSync(key, "utf8"), trustedRoot };
  const text = (name: string, fallback: string) =>
    existsSync(join(dir, name)) ? readFileSync(join(dir, name), "utf8").trim() : fallback;
  return {
    trustedRoot,
    identity: { subject: text("identity", DEFAULT_IDENTITY), issuer: text("issuer", DEFAULT_ISSUER) },
  };
}

for (const name of cases) {
  const dir = join(ASSETS, name);
  const shouldFail = name.endsWith("_fail");
  test(`conformance: ${name} ${shouldFail ? "fails" : "verifies"}`, {
    skip: EXCEPTIONS[name] ?? false,
  }, async () => {
    const run = async () =>
      verifyBlob({
        artifactPath: existsSync(join(dir, "artifact")) ? join(dir, "artifact") : join(ASSETS, "a.txt"),
        bundlePath: join(dir, "bundle.sigstore.json"),
        trust: await trustFor(dir),
      });
    if (!shouldFail) {
      await run();
      return;
    }
    // A failure is a coded refusal, never a crash.
    await assert.rejects(run, (err: unknown) => {
      assert.ok(isCudasealError(err), `${name}: not a coded error: ${err}`);
      assert.notEqual(err.code, "INTERNAL");
      return true;
    });
  });
}
