// What the signing commands (sign, attest, sign-blob) are told to sign
// with: a key on disk (--key), or keyless (--keyless: a Fulcio certificate
// for an OIDC identity, the signature logged in Rekor), with cosign's flag
// names. Either way the result is a BundleSigner, so a command does not
// care which.

import { CudasealError } from "../errors.ts";
import {
  type BundleSigner,
  identityToken,
  keyBundleSigner,
  keylessBundleSigner,
  readPrivateKey,
} from "../sign/index.ts";
import { type Flags, type FlagValues, stringFlag } from "./command.ts";
import { keyPassword } from "./password.ts";

export const KEYLESS_SIGN_FLAGS: Flags = {
  keyless: { type: "boolean" },
  "identity-token": { type: "string" },
  "fulcio-url": { type: "string" },
  "rekor-url": { type: "string" },
};

export const KEYLESS_SIGN_HELP = `Keyless, instead of --key:
  --keyless               sign with a fresh key and a ten-minute Fulcio
                          certificate for your OIDC identity; the signature
                          is logged in Rekor (public: your identity is
                          published there)
  --identity-token TOKEN  the OIDC token, or @FILE holding it; default:
                          $SIGSTORE_ID_TOKEN, else a GitHub Actions job's own
                          (ACTIONS_ID_TOKEN_REQUEST_URL, audience sigstore;
                          the workflow needs 'permissions: id-token: write')
  --fulcio-url URL        Fulcio (default: https://fulcio.sigstore.dev)
  --rekor-url URL         Rekor (default: https://rekor.sigstore.dev)`;

/** True when the flags ask for keyless signing; USAGE for keyless flags without --keyless, or with --key. */
export function wantsKeyless(flags: FlagValues, example: string): boolean {
  const keyless = flags.keyless === true;
  const stray = ["identity-token", "fulcio-url", "rekor-url"].filter(
    (f) => stringFlag(flags, f) !== undefined,
  );
  if (!keyless && stray.length > 0)
    throw new CudasealError("USAGE", `--${stray[0]} is for keyless signing: add --keyless`, {
      hint: example,
    });
  if (keyless && stringFlag(flags, "key") !== undefined)
    throw new CudasealError("USAGE", "--key and --keyless are two ways to sign: pick one", { hint: example });
  return keyless;
}

/** Who a keyless signature will name, for the command's output. */
export interface KeylessIdentity {
  subject: string;
  issuer: string;
}

/** The BundleSigner the flags ask for: keyless with --keyless, else the --key file's key. */
export async function bundleSignerFrom(
  flags: FlagValues,
  example: string,
): Promise<{ signer: BundleSigner; identity?: KeylessIdentity }> {
  if (wantsKeyless(flags, example)) {
    const token = await identityToken({ given: stringFlag(flags, "identity-token") });
    const signer = keylessBundleSigner({
      token,
      fulcioURL: stringFlag(flags, "fulcio-url"),
      rekorURL: stringFlag(flags, "rekor-url"),
    });
    return { signer, identity: { subject: token.subject, issuer: token.issuer } };
  }
  const keyPath = stringFlag(flags, "key");
  if (keyPath === undefined)
    throw new CudasealError("USAGE", "name the key with --key, or sign keyless with --keyless", {
      hint: example,
    });
  return { signer: keyBundleSigner(await readPrivateKey(keyPath, () => keyPassword())) };
}

/**
 * For `sign` and `attest` of an image: the one image named, when the flags
 * ask for keyless signing (which writes Sigstore bundles only), else
 * undefined (the key path is then required as before).
 */
export function keylessImage(
  positionals: string[],
  flags: FlagValues,
  bundleFormat: boolean,
  example: string,
): string | undefined {
  if (!wantsKeyless(flags, example)) return undefined;
  if (positionals.length !== 1) throw new CudasealError("USAGE", "name one image", { hint: example });
  if (!bundleFormat)
    throw new CudasealError("USAGE", "--keyless writes Sigstore bundles: drop --new-bundle-format=false", {
      hint: example,
    });
  return positionals[0];
}
