// `cudaseal attest`: a signed in-toto attestation (SBOM, provenance) for an image.

import { CudasealError } from "../../errors.ts";
import { attestImage, attestImageBundle, PREDICATE_TYPES } from "../../sign/index.ts";
import { readRegularFile } from "../../util/read-regular-file.ts";
import { type Command, stringFlag } from "../command.ts";
import { KEYLESS_SIGN_FLAGS, KEYLESS_SIGN_HELP } from "../keyless-sign-options.ts";
import {
  BUNDLE_FORMAT_FLAGS,
  BUNDLE_FORMAT_HELP,
  imageSigner,
  openTarget,
  SIGN_TARGET_FLAGS,
  signHelp,
  signRequest,
} from "../sign-options.ts";

/** Its envelope (base64, a third larger) must stay under the 64 MiB a verifier reads. */
const MAX_PREDICATE = 32 * 1024 * 1024;

const EXAMPLE =
  "cudaseal attest --key cosign.key --type spdxjson --predicate sbom.spdx.json oci:out/cuda-base";

export const attestCommand: Command = {
  name: "attest",
  help: signHelp({
    usage: "cudaseal attest IMAGE (--key cosign.key | --keyless) --type TYPE --predicate FILE [options]",
    description: `Wraps the predicate in an in-toto statement (v0.1) whose subject is the
image's digest, signs it in a DSSE envelope, and stores it as cosign's
'attest' does. As cosign 3 (the default): a Sigstore bundle (v0.3) pushed
as an OCI 1.1 referrer of the image, annotated
dev.sigstore.bundle.predicateType; 'cosign verify-attestation
--new-bundle-format --key cosign.pub --insecure-ignore-tlog' accepts it.
With --new-bundle-format=false, as cosign 2: a layer of the manifest tagged
sha256-<hex>.att, annotated with its predicateType; 'cosign
verify-attestation --key cosign.pub --type TYPE' accepts it.

Types (cosign's names): ${Object.keys(PREDICATE_TYPES).join(", ")}, or a URI.
spdx takes SPDX tag-value text; custom wraps any text as {Data, Timestamp};
the others take JSON.`,
    options: `  --type TYPE             the predicate type (default: custom)
  --predicate FILE        the predicate: an SBOM, a provenance document…
${BUNDLE_FORMAT_HELP}

${KEYLESS_SIGN_HELP}`,
    examples: [
      EXAMPLE,
      "cudaseal attest --key cosign.key --type slsaprovenance1 --predicate out/provenance.json registry.example/team/cuda:12.8",
    ],
  }),
  flags: {
    ...SIGN_TARGET_FLAGS,
    ...BUNDLE_FORMAT_FLAGS,
    ...KEYLESS_SIGN_FLAGS,
    type: { type: "string" },
    predicate: { type: "string" },
  },
  async run(positionals, flags, out) {
    const request = signRequest(positionals, flags, EXAMPLE);
    const predicatePath = stringFlag(flags, "predicate");
    if (predicatePath === undefined)
      throw new CudasealError("USAGE", "name the predicate file", { hint: EXAMPLE });
    const predicate = await readRegularFile(predicatePath, { what: "predicate", max: MAX_PREDICATE }).catch(
      (err: unknown) => {
        if (err instanceof CudasealError) throw err;
        throw new CudasealError("USAGE", `cannot read ${predicatePath}: ${(err as Error).message}`, {
          cause: err,
        });
      },
    );
    const { target } = await openTarget(flags, request.ref);
    const options = { type: stringFlag(flags, "type") ?? "custom", predicate };
    const signer = await imageSigner(flags, request, EXAMPLE, (line) => out.note(line));
    const result =
      "bundleSigner" in signer
        ? await attestImageBundle(target, signer.bundleSigner, options)
        : await attestImage(target, signer.tagSigner, options);
    if (out.json) {
      out.jsonData({
        image: request.ref,
        digest: result.digest,
        predicateType: result.statement.predicateType,
        format: request.bundle ? "bundle" : "cosign-tag",
        attestationManifest: result.attestationManifest.digest,
      });
    } else out.note(`attested ${target.repository}@${result.digest} (${result.statement.predicateType})`);
    return 0;
  },
};
