// `cudaseal sign`: a cosign signature for an image, in a layout or a registry:
// a Sigstore bundle referrer (cosign 3), or cosign 2's `.sig` tag.

import { signImage, signImageBundle } from "../../sign/index.ts";
import type { Command } from "../command.ts";
import { KEYLESS_SIGN_FLAGS, KEYLESS_SIGN_HELP } from "../keyless-sign-options.ts";
import {
  annotationsFlag,
  BUNDLE_FORMAT_FLAGS,
  BUNDLE_FORMAT_HELP,
  imageSigner,
  openTarget,
  SIGN_TARGET_FLAGS,
  signHelp,
  signRequest,
} from "../sign-options.ts";

const EXAMPLE = "cudaseal sign --key cosign.key oci:out/cuda-base:12.8";

export const signCommand: Command = {
  name: "sign",
  help: signHelp({
    usage: "cudaseal sign IMAGE (--key cosign.key | --keyless) [options]",
    description: `Signs the image's manifest digest (an index's digest for a multi-platform
image) and stores the signature where cosign does. As cosign 3 (the
default): an in-toto statement of predicate type
https://sigstore.dev/cosign/sign/v1 naming the digest, in a DSSE envelope
inside a Sigstore bundle (v0.3), pushed as an OCI 1.1 referrer of the image
(artifactType application/vnd.dev.sigstore.bundle.v0.3+json; a registry
without the referrers API gets the sha256-<hex> fallback index tag). With
--new-bundle-format=false, as cosign 2: cosign's simple signing payload in
a manifest tagged sha256-<hex>.sig, one layer per signature, appended.
'cudaseal verify' reads both. The key is cosign's encrypted key (password
from $COSIGN_PASSWORD or the terminal) or a plain PEM private key; a key
bundle names it by cosign's hint (base64 SHA-256 of its DER public key).`,
    options: `  --annotations K=V       add to the signed claim (the subject's annotations, or
                          the payload's 'optional'), repeatable
  --recursive             also sign each platform manifest of an index
${BUNDLE_FORMAT_HELP}

${KEYLESS_SIGN_HELP}`,
    examples: [
      EXAMPLE,
      "cudaseal sign --keyless registry.example/team/cuda:12.8   # in a GitHub Actions job, or with --identity-token",
      "cudaseal sign --key cosign.key --recursive registry.example/team/cuda:12.8",
      "cudaseal sign --key cosign.key -a git-sha=3b1f0c2 oci:out/cuda-base",
      "cudaseal sign --key cosign.key --new-bundle-format=false oci:out/cuda-base   # cosign 2's .sig tag",
    ],
  }),
  flags: {
    ...SIGN_TARGET_FLAGS,
    ...BUNDLE_FORMAT_FLAGS,
    ...KEYLESS_SIGN_FLAGS,
    annotations: { type: "string", short: "a", multiple: true },
    recursive: { type: "boolean" },
  },
  async run(positionals, flags, out) {
    const request = signRequest(positionals, flags, EXAMPLE);
    const annotations = annotationsFlag(flags);
    const { target } = await openTarget(flags, request.ref);
    const options = { annotations, recursive: flags.recursive === true };
    const signer = await imageSigner(flags, request, EXAMPLE, (line) => out.note(line));
    const results =
      "bundleSigner" in signer
        ? await signImageBundle(target, signer.bundleSigner, options)
        : await signImage(target, signer.tagSigner, options);
    if (out.json) {
      out.jsonData({
        image: request.ref,
        format: request.bundle ? "bundle" : "cosign-tag",
        signatures: results.map((r) => ({
          digest: r.digest,
          signatureManifest: r.signatureManifest?.digest ?? null,
          payload: JSON.parse(r.payload),
        })),
      });
    } else {
      for (const r of results) {
        out.note(
          r.signatureManifest === undefined
            ? `${r.digest}: already signed with this key`
            : `signed ${target.repository}@${r.digest}`,
        );
      }
    }
    return 0;
  },
};
