// The real cosign (Debian's 2.5) and cudaseal give the same verdict on a
// sample of Sigstore's conformance bundles, offline, each against the same
// trusted root: keyless message signatures of each bundle version, a DSSE
// attestation, a key-signed bundle, and bundles that must fail for another
// artifact, another Sigstore instance, and another signature. cosign 2.5
// does not read Rekor v2 entries and disagrees with the suite on two more
// cases (docs/signing.md lists them), so those are not in the sample.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { BundleTrust } from "../../src/sign/bundle-verify.ts";
import { PUBLIC_GOOD_TRUSTED_ROOT, readTrustedRoot } from "../../src/sign/trusted-root.ts";
import { verifyBlob } from "../../src/sign/verify-blob.ts";
import { cosign, needsCosign } from "./cosign-tool.ts";

const ASSETS = join(import.meta.dirname, "..", "fixtures", "sigstore-conformance", "bundle-verify");
const IDENTITY =
  "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER = "https://token.actions.githubusercontent.com";

const SAMPLE = [
  "happy-path-v0.1",
  "happy-path-v0.2",
  "happy-path-v0.3",
  "happy-path-intoto-in-dsse-v3",
  "managed-key-happy-path",
  "wrong-material_fail",
  "bundle-from-wrong-instance_fail",
  "signature-mismatch_fail",
  "intoto-expired-certificate_fail",
];

for (const name of SAMPLE) {
  test(`cosign and cudaseal agree on ${name}`, { skip: needsCosign }, async () => {
    const dir = join(ASSETS, name);
    const artifact = existsSync(join(dir, "artifact")) ? join(dir, "artifact") : join(ASSETS, "a.txt");
    const rootPath = existsSync(join(dir, "trusted_root.json"))
      ? join(dir, "trusted_root.json")
      : PUBLIC_GOOD_TRUSTED_ROOT.pathname;
    const bundlePath = join(dir, "bundle.sigstore.json");
    const key = join(dir, "key.pub");
    const who = existsSync(key)
      ? ["--key", key]
      : ["--certificate-identity", IDENTITY, "--certificate-oidc-issuer", ISSUER];
    const dsse = readFileSync(bundlePath, "utf8").includes("dsseEnvelope");
    const theirs = cosign([
      dsse ? "verify-blob-attestation" : "verify-blob",
      "--new-bundle-format",
      "--bundle",
      bundlePath,
      "--trusted-root",
      rootPath,
      ...who,
      artifact,
    ]);
    const trustedRoot = await readTrustedRoot(rootPath);
    const trust: BundleTrust = existsSync(key)
      ? { publicKey: readFileSync(key, "utf8"), trustedRoot }
      : { trustedRoot, identity: { subject: IDENTITY, issuer: ISSUER } };
    const ours = await verifyBlob({ artifactPath: artifact, bundlePath, trust }).then(
      () => true,
      () => false,
    );
    assert.equal(theirs.status === 0, ours, `cosign: ${theirs.stderr.trim().split("\n").at(-1)}`);
    assert.equal(ours, !name.endsWith("_fail"));
  });
}
