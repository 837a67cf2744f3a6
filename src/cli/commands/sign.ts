// `cudaseal sign`: a cosign signature for an image, in a layout or a registry.

import { keySigner, readPrivateKey, signImage } from "../../sign/index.ts";
import type { Command } from "../command.ts";
import { keyPassword } from "../password.ts";
import { annotationsFlag, imageAndKey, openTarget, SIGN_TARGET_FLAGS, signHelp } from "../sign-options.ts";

const EXAMPLE = "cudaseal sign --key cosign.key oci:out/cuda-base:12.8";

export const signCommand: Command = {
  name: "sign",
  help: signHelp({
    usage: "cudaseal sign IMAGE --key cosign.key [options]",
    description: `Signs the image's manifest digest (an index's digest for a multi-platform
image) with cosign's payload (simple signing JSON), and stores the signature
where cosign does: a manifest tagged sha256-<hex>.sig in the image's own
repository or layout, one layer per signature, new signatures appended.
'cosign verify --key cosign.pub' accepts the result, and 'cudaseal verify'
accepts cosign's. The key is cosign's encrypted key (password from
$COSIGN_PASSWORD or the terminal) or a plain PEM private key.`,
    options: `  --annotations K=V       add to the payload's 'optional', repeatable
  --recursive             also sign each platform manifest of an index`,
    examples: [
      EXAMPLE,
      "cudaseal sign --key cosign.key --recursive registry.example/team/cuda:12.8",
      "cudaseal sign --key cosign.key -a git-sha=3b1f0c2 oci:out/cuda-base",
    ],
  }),
  flags: {
    ...SIGN_TARGET_FLAGS,
    annotations: { type: "string", short: "a", multiple: true },
    recursive: { type: "boolean" },
  },
  async run(positionals, flags, out) {
    const { ref, keyPath } = imageAndKey(positionals, flags, EXAMPLE);
    const annotations = annotationsFlag(flags);
    const { target } = await openTarget(flags, ref);
    const signer = keySigner(await readPrivateKey(keyPath, () => keyPassword()));
    const results = await signImage(target, signer, { annotations, recursive: flags.recursive === true });
    if (out.json) {
      out.jsonData({
        image: ref,
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
