// `cudaseal verify`: check an image's cosign signatures with a public key, or keylessly.

import { keyVerifier, verifyImage } from "../../sign/index.ts";
import type { Command } from "../command.ts";
import { annotationsFlag, openTarget, SIGN_TARGET_FLAGS, signHelp } from "../sign-options.ts";
import { imageTrustFrom, KEYLESS_FLAGS, KEYLESS_HELP } from "../verify-trust-options.ts";

const EXAMPLE = "cudaseal verify --key cosign.pub oci:out/cuda-base:12.8";

export const verifyCommand: Command = {
  name: "verify",
  help: signHelp({
    usage:
      "cudaseal verify IMAGE (--key cosign.pub | --certificate-identity ID --certificate-oidc-issuer URL) [options]",
    description: `Reads the image's signatures from both places cosign keeps them: Sigstore
bundle referrers (cosign 3; OCI 1.1 referrers API or the sha256-<hex>
fallback tag) and the sha256-<hex>.sig tag (cosign 2). Passes when one of
them verifies with the key and names this image's digest (and, with
--reference, that repository; cosign never checks the claimed repository,
so by default neither does this). A key bundle is accepted without a
transparency log entry, as cosign's --insecure-ignore-tlog. Keyless
(--certificate-identity and --certificate-oidc-issuer instead of --key),
only bundle referrers are read, each checked as 'verify-blob' checks a
bundle: Fulcio chain, SCT, Rekor entry, identity and issuer (their codes
are in 'cudaseal verify-blob --help'). Works offline on an OCI layout.
Exit status 1 with one of these codes when none passes:

  VERIFY_NO_SIGNATURE        the image has no signatures
  VERIFY_WRONG_KEY           no signature verifies with this key
  VERIFY_PAYLOAD_TAMPERED    a payload is not what the signature manifest names
  VERIFY_DIGEST_MISMATCH     a valid signature of another image's digest
  VERIFY_REFERENCE_MISMATCH  a valid signature naming another repository
  VERIFY_PAYLOAD_INVALID     a payload cosign would read differently (a field
                             named twice, in any letter case)
  VERIFY_ANNOTATION_INVALID  a bundle, certificate or chain annotation cosign
                             refuses
  VERIFY_BUNDLE_INVALID      a bundle referrer that is not one readable bundle
                             (or larger than 64 MiB)
  VERIFY_TOO_MANY_REFERRERS  more bundle referrers than cudaseal reads (256),
                             or more than 1024 referrers of any kind: a
                             referrer bomb`,
    options: `  --annotations K=V       require this annotation in the payload, repeatable

${KEYLESS_HELP}`,
    examples: [
      EXAMPLE,
      "cudaseal verify --key cosign.pub --json registry.example/team/cuda:12.8",
      "cudaseal verify --certificate-identity-regexp '^https://github\\.com/org/' --certificate-oidc-issuer https://token.actions.githubusercontent.com registry.example/team/cuda:12.8",
    ],
  }),
  flags: {
    ...SIGN_TARGET_FLAGS,
    ...KEYLESS_FLAGS,
    annotations: { type: "string", short: "a", multiple: true },
  },
  async run(positionals, flags, out) {
    const { ref, key, bundles } = await imageTrustFrom(positionals, flags, EXAMPLE, out);
    const { target, options } = await openTarget(flags, ref);
    const verified = await verifyImage(target, key === undefined ? undefined : keyVerifier(key), {
      repository: options.repository,
      annotations: annotationsFlag(flags),
      bundles,
    });
    if (out.json) out.jsonData({ image: ref, digest: target.manifest.digest, verified });
    else {
      out.note(`Verified ${verified.length} signature${verified.length === 1 ? "" : "s"} of ${ref}`);
      for (const v of verified) out.data(`${v.dockerReference}@${v.digest}`);
    }
    return 0;
  },
};
