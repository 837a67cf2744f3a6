// `cudaseal sign-blob`: a Sigstore bundle for a file, as cosign's sign-blob --bundle.

import { access, constants } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { CudasealError } from "../../errors.ts";
import { MAX_SIGN_BLOB_BYTES, signBlob } from "../../sign/index.ts";
import { writeOutputFile } from "../../util/atomic-file.ts";
import { formatBytes } from "../../util/format-bytes.ts";
import { type Command, stringFlag } from "../command.ts";
import { bundleSignerFrom, KEYLESS_SIGN_FLAGS, KEYLESS_SIGN_HELP } from "../keyless-sign-options.ts";

const EXAMPLE = "cudaseal sign-blob out/sbom.spdx.json --bundle out/sbom.sigstore.json --keyless";

export const signBlobCommand: Command = {
  name: "sign-blob",
  help: `Usage: cudaseal sign-blob FILE --bundle OUT (--key cosign.key | --keyless) [options]

Signs FILE and writes a Sigstore bundle (v0.3, *.sigstore.json) to OUT, as
'cosign sign-blob --bundle' does: FILE's SHA-256 and a signature over it,
with what a verifier needs to check it. With --key, the bundle names the key
by its hint and nothing is logged ('cosign verify-blob --key cosign.pub
--bundle OUT --insecure-ignore-tlog' accepts it). With --keyless, it holds a
Fulcio certificate for your OIDC identity and the Rekor entry of the
signature ('cudaseal verify-blob FILE --bundle OUT --certificate-identity ID
--certificate-oidc-issuer URL' checks it offline). FILE is read whole, up to
${formatBytes(MAX_SIGN_BLOB_BYTES)}.

Options:
  --bundle OUT            where to write the bundle
  --key FILE              the signing key (cosign's encrypted cosign.key, password
                          from $COSIGN_PASSWORD or the terminal, or a PEM key)

${KEYLESS_SIGN_HELP}

Examples:
  ${EXAMPLE}
  cudaseal sign-blob --key cosign.key dist/tool.tar.gz --bundle dist/tool.sigstore.json
  cudaseal sign-blob model.safetensors --bundle model.sigstore.json --keyless --identity-token @token.jwt`,
  flags: {
    key: { type: "string" },
    bundle: { type: "string" },
    ...KEYLESS_SIGN_FLAGS,
  },
  async run(positionals, flags, out) {
    if (positionals.length !== 1)
      throw new CudasealError("USAGE", "name one file to sign", { hint: EXAMPLE });
    const file = positionals[0];
    const bundlePath = stringFlag(flags, "bundle");
    if (bundlePath === undefined)
      throw new CudasealError("USAGE", "name where the bundle goes with --bundle", { hint: EXAMPLE });
    // Checked before signing: a keyless signature is logged in Rekor for good,
    // and one whose bundle then has nowhere to go is a log entry for nothing.
    await checkWritableDir(bundlePath);
    const { signer, identity } = await bundleSignerFrom(flags, EXAMPLE);
    if (identity !== undefined) out.note(`signing as ${identity.subject} (issuer ${identity.issuer})`);
    const signed = await signBlob(file, signer).catch((err: unknown) => {
      if (err instanceof CudasealError) throw err;
      throw new CudasealError("USAGE", `cannot read ${file}: ${(err as Error).message}`, { cause: err });
    });
    await writeOutputFile(bundlePath, `${JSON.stringify(signed.bundle)}\n`);
    if (out.json) {
      out.jsonData({
        file,
        sha256: signed.sha256,
        size: signed.size,
        bundle: bundlePath,
        signer: identity === undefined ? { kind: "key" } : { kind: "keyless", ...identity },
        tlogEntries: signed.bundle.verificationMaterial.tlogEntries?.length ?? 0,
      });
    } else out.note(`wrote ${bundlePath} (sha256:${signed.sha256})`);
    return 0;
  },
};

async function checkWritableDir(path: string): Promise<void> {
  const dir = dirname(resolve(path));
  try {
    await access(dir, constants.W_OK);
  } catch (err) {
    throw new CudasealError("OUTPUT_FAILED", `cannot write ${path}: ${dir} is not a writable folder`, {
      cause: err,
      hint: "name a bundle path in a folder that exists",
    });
  }
}
