// `cudaseal verify-blob`: check a file against its Sigstore bundle, as cosign's verify-blob --bundle.

import { CudasealError } from "../../errors.ts";
import { verifyBlob } from "../../sign/index.ts";
import { type Command, stringFlag } from "../command.ts";
import { bundleTrustFrom, KEYLESS_FLAGS, KEYLESS_HELP } from "../verify-trust-options.ts";

const EXAMPLE =
  "cudaseal verify-blob model.safetensors --bundle model.sigstore.json --certificate-identity you@example.com --certificate-oidc-issuer https://accounts.google.com";

export const verifyBlobCommand: Command = {
  name: "verify-blob",
  help: `Usage: cudaseal verify-blob FILE --bundle B.sigstore.json (--key K | --certificate-identity ID --certificate-oidc-issuer URL) [options]

Checks FILE against a Sigstore bundle (v0.1 to v0.3), as 'cosign verify-blob
--bundle' does. A message-signature bundle must name FILE's digest and its
signature must verify; a DSSE bundle's in-toto statement must name FILE's
SHA-256 among its subjects (as 'cosign verify-blob-attestation'). A keyless
bundle's certificate must chain to a Fulcio CA of the trusted root, carry a
valid SCT, name the identity and issuer asked for, and have been valid when a
Rekor entry (its inclusion proof or signed promise) or an RFC 3161 timestamp
says the signature was made. Nothing is fetched: every check is against the
trusted root. Exit status 1 with one code per failure:

  VERIFY_BUNDLE_INVALID          not a bundle, or one that cannot be read
  VERIFY_DIGEST_MISMATCH         a bundle for another file
  VERIFY_SIGNATURE_INVALID       the signature does not verify
  VERIFY_IDENTITY_MISMATCH       signed by another identity
  VERIFY_ISSUER_MISMATCH         an identity vouched for by another OIDC issuer
  VERIFY_CERT_CHAIN_INVALID      a certificate from a CA the root does not name
  VERIFY_CERT_EXPIRED            a certificate not valid when it was used, or
                                 expired with no timestamp to say when that was
  VERIFY_SCT_INVALID             the certificate's SCT does not verify
  VERIFY_TLOG_UNKNOWN            a log entry from a log the root does not name
  VERIFY_TLOG_INCLUSION_INVALID  a bad inclusion proof, checkpoint or promise
  VERIFY_TLOG_MISMATCH           a log entry for another signature or artifact
  VERIFY_TIMESTAMP_INVALID       a timestamp that does not verify, or none
  VERIFY_WRONG_KEY               a key-signed bundle verified without --key
  TRUSTED_ROOT_INVALID           a trusted root that cannot be used

Options:
  --bundle FILE           the Sigstore bundle (*.sigstore.json)
  --key FILE              the public key (cosign.pub) of a key-signed bundle

${KEYLESS_HELP}

Examples:
  ${EXAMPLE}
  cudaseal verify-blob out/sbom.json --bundle out/sbom.sigstore.json --key cosign.pub --insecure-ignore-tlog
  cudaseal verify-blob dist/tool.tar.gz --bundle tool.sigstore.json --trusted-root trusted_root.json \\
    --certificate-identity-regexp '^https://github.com/org/' --certificate-oidc-issuer https://token.actions.githubusercontent.com --json`,
  flags: {
    bundle: { type: "string" },
    key: { type: "string" },
    ...KEYLESS_FLAGS,
  },
  async run(positionals, flags, out) {
    if (positionals.length !== 1) throw new CudasealError("USAGE", "name one file", { hint: EXAMPLE });
    const bundlePath = stringFlag(flags, "bundle");
    if (bundlePath === undefined)
      throw new CudasealError("USAGE", "name the bundle with --bundle", { hint: EXAMPLE });
    const { trust, trustedRootSource } = await bundleTrustFrom(flags, EXAMPLE, out);
    const verified = await verifyBlob({ artifactPath: positionals[0], bundlePath, trust });
    const signer =
      verified.signer.kind === "key"
        ? `key${verified.signer.hint ? ` ${verified.signer.hint}` : ""}`
        : `${verified.signer.subject} (issuer ${verified.signer.issuer})`;
    if (out.json) {
      out.jsonData({
        file: positionals[0],
        sha256: verified.sha256,
        signer: verified.signer,
        signedAt: verified.signedAt?.toISOString() ?? null,
        trustedRoot: trustedRootSource ?? null,
        statement: verified.statement ?? null,
      });
    } else {
      out.note(
        `Verified OK: ${positionals[0]} signed by ${signer}${verified.signedAt ? ` at ${verified.signedAt.toISOString()}` : ""}`,
      );
      if (verified.statement !== undefined) out.data(JSON.stringify(verified.statement));
    }
    return 0;
  },
};
