// `cudaseal verify-attestation`: check an image's in-toto attestations with a public key, or keylessly.

import { keyVerifier, verifyAttestations } from "../../sign/index.ts";
import { type Command, stringFlag } from "../command.ts";
import { openTarget, SIGN_TARGET_FLAGS, signHelp } from "../sign-options.ts";
import { imageTrustFrom, KEYLESS_FLAGS, KEYLESS_HELP } from "../verify-trust-options.ts";

const EXAMPLE = "cudaseal verify-attestation --key cosign.pub --type spdxjson oci:out/cuda-base";

export const verifyAttestationCommand: Command = {
  name: "verify-attestation",
  help: signHelp({
    usage:
      "cudaseal verify-attestation IMAGE (--key cosign.pub | --certificate-identity ID --certificate-oidc-issuer URL) [--type TYPE] [options]",
    description: `Reads the attestations stored as Sigstore bundle referrers of the image
(cosign 3) and under sha256-<hex>.att beside it (cosign 2), and passes
when at least one DSSE envelope verifies with the key and its statement
names this image's digest (of TYPE, with --type). Prints each verified
statement as JSON, one per line, as cosign does. Exit status 1 with
VERIFY_NO_ATTESTATION, VERIFY_WRONG_KEY, VERIFY_PAYLOAD_TAMPERED or
VERIFY_DIGEST_MISMATCH when none passes; VERIFY_PAYLOAD_INVALID or
VERIFY_ANNOTATION_INVALID for what cosign would read differently or refuse;
VERIFY_BUNDLE_INVALID for a bundle referrer that is not one readable bundle,
VERIFY_TOO_MANY_REFERRERS for more than 256 of them (or more than 1024
referrers of any kind: a referrer bomb). A key bundle is
accepted without a transparency log entry (cosign's --insecure-ignore-tlog).
Keyless (--certificate-identity and --certificate-oidc-issuer instead of
--key), only bundle referrers are read, each checked as 'verify-blob'
checks a bundle (its codes are in 'cudaseal verify-blob --help').`,
    options: `  --type TYPE             only attestations of this type (spdxjson, slsaprovenance1…, or a URI)

${KEYLESS_HELP}`,
    examples: [
      EXAMPLE,
      "cudaseal verify-attestation --key cosign.pub --type slsaprovenance1 --json registry.example/team/cuda:12.8",
    ],
  }),
  flags: {
    ...SIGN_TARGET_FLAGS,
    ...KEYLESS_FLAGS,
    type: { type: "string" },
  },
  async run(positionals, flags, out) {
    const { ref, key, bundles } = await imageTrustFrom(positionals, flags, EXAMPLE, out);
    const { target } = await openTarget(flags, ref);
    const verified = await verifyAttestations(target, key === undefined ? undefined : keyVerifier(key), {
      type: stringFlag(flags, "type"),
      bundles,
    });
    if (out.json) out.jsonData({ image: ref, digest: target.manifest.digest, verified });
    else {
      out.note(`Verified ${verified.length} attestation${verified.length === 1 ? "" : "s"} of ${ref}`);
      for (const v of verified) out.data(JSON.stringify(v.statement));
    }
    return 0;
  },
};
