// `cudaseal verify`: check an image's cosign signatures with a public key.

import { keyVerifier, openImageTarget, readPublicKey, verifyImage } from "../../sign/index.ts";
import type { Command } from "../command.ts";
import {
  annotationsFlag,
  imagePositional,
  keyFlag,
  SIGN_REGISTRY_HELP,
  SIGN_TARGET_FLAGS,
  SIGN_TARGET_HELP,
  targetOptions,
} from "../sign-options.ts";

const EXAMPLE = "cudaseal verify --key cosign.pub oci:out/cuda-base:12.8";

export const verifyCommand: Command = {
  name: "verify",
  help: `Usage: cudaseal verify IMAGE --key cosign.pub [options]

Reads the signatures stored under sha256-<hex>.sig beside the image and
passes when one of them verifies with the key over its payload, and the
payload names this image's digest and (for a registry image, or with
--reference) its repository. Works offline on an OCI layout. Exit status 1
with one of these codes when none passes:

  VERIFY_NO_SIGNATURE        the image has no signatures
  VERIFY_WRONG_KEY           no signature verifies with this key
  VERIFY_PAYLOAD_TAMPERED    a payload is not what the signature manifest names
  VERIFY_DIGEST_MISMATCH     a valid signature of another image's digest
  VERIFY_REFERENCE_MISMATCH  a valid signature naming another repository

${SIGN_TARGET_HELP}
  --annotations K=V       require this annotation in the payload, repeatable

Examples:
  ${EXAMPLE}
  cudaseal verify --key cosign.pub --json registry.example/team/cuda:12.8

${SIGN_REGISTRY_HELP}`,
  flags: {
    ...SIGN_TARGET_FLAGS,
    annotations: { type: "string", short: "a", multiple: true },
  },
  async run(positionals, flags, out) {
    const ref = imagePositional(positionals, EXAMPLE);
    const verifier = keyVerifier(await readPublicKey(keyFlag(flags, EXAMPLE)));
    const options = await targetOptions(flags, ref);
    const target = await openImageTarget(ref, options);
    const verified = await verifyImage(target, verifier, {
      repository: options.repository,
      annotations: annotationsFlag(flags),
    });
    if (out.json) out.jsonData({ image: ref, digest: target.manifest.digest, verified });
    else {
      out.note(`Verified ${verified.length} signature${verified.length === 1 ? "" : "s"} of ${ref}`);
      for (const v of verified) out.data(`${v.dockerReference}@${v.digest}`);
    }
    return 0;
  },
};
