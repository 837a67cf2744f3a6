// What the verifying commands (verify, verify-attestation, verify-blob) are
// told to trust: a public key (--key), or a keyless signer's identity and
// OIDC issuer under a Sigstore trusted root, with cosign's flags and
// meanings. Keyless needs both an identity and an issuer, as cosign does:
// a certificate from the right CA says nothing until it is known whose it is.

import type { KeyObject } from "node:crypto";
import { join } from "node:path";
import { defaultCacheDir } from "../cache/dirs.ts";
import { CudasealError } from "../errors.ts";
import type { BundleTrust, LoadedTrustedRoot } from "../sign/index.ts";
import { DEFAULT_TUF_MIRROR, loadTrustedRoot, readPublicKey, tufTrustedRoot } from "../sign/index.ts";
import { type Flags, type FlagValues, stringFlag } from "./command.ts";

/** Where a trusted root's fallback is said (the command's Output). */
export interface Warner {
  warn(text: string): void;
}

/** The keyless flags; `--key` is each command's own (SIGN_TARGET_FLAGS has it for image commands). */
export const KEYLESS_FLAGS: Flags = {
  "certificate-identity": { type: "string" },
  "certificate-identity-regexp": { type: "string" },
  "certificate-oidc-issuer": { type: "string" },
  "certificate-oidc-issuer-regexp": { type: "string" },
  "trusted-root": { type: "string" },
  "tuf-mirror": { type: "string" },
  "tuf-root": { type: "string" },
  offline: { type: "boolean" },
  "cache-dir": { type: "string" },
  "insecure-ignore-tlog": { type: "boolean" },
};

export const KEYLESS_HELP = `Keyless (a Fulcio certificate in a Sigstore bundle), instead of --key:
  --certificate-identity ID          the signer's exact identity (the certificate's
                                     e-mail or URI, e.g. a workflow's
                                     https://github.com/ORG/REPO/.github/workflows/F.yml@refs/heads/main)
  --certificate-identity-regexp RE   or a regular expression it must match (unanchored)
  --certificate-oidc-issuer URL      the exact OIDC issuer that vouched for it, e.g.
                                     https://token.actions.githubusercontent.com
  --certificate-oidc-issuer-regexp RE  or a regular expression it must match
  --trusted-root FILE                a Sigstore trusted_root.json (Fulcio CAs, Rekor and
                                     CT logs, timestamp authorities); default: the
                                     trusted_root.json target of Sigstore's TUF repository,
                                     verified by TUF and cached; if it cannot be reached,
                                     the cached one, then the public-good root shipped
                                     with cudaseal (with a warning)
  --tuf-mirror URL                   the TUF repository (default: $CUDASEAL_TUF_MIRROR, else
                                     ${DEFAULT_TUF_MIRROR})
  --tuf-root FILE                    that repository's initial root.json, for a mirror
                                     other than Sigstore's (whose root cudaseal carries)
  --offline                          no network: the cached TUF root while its metadata
                                     is unexpired, else the shipped one
  --cache-dir DIR                    where the TUF metadata is cached (default:
                                     ~/.cache/cudaseal, under sigstore-tuf/)
  --insecure-ignore-tlog             accept a bundle with no transparency log entry
                                     (key-signed offline); its entries are not checked`;

/** What `flags` say to trust, with the trusted root's source when one is used; USAGE when they say too little or too much. */
export async function bundleTrustFrom(
  flags: FlagValues,
  example: string,
  out?: Warner,
): Promise<{ trust: BundleTrust; trustedRootSource?: string }> {
  const keyPath = stringFlag(flags, "key");
  const subject = stringFlag(flags, "certificate-identity");
  const subjectRegExp = stringFlag(flags, "certificate-identity-regexp");
  const issuer = stringFlag(flags, "certificate-oidc-issuer");
  const issuerRegExp = stringFlag(flags, "certificate-oidc-issuer-regexp");
  const ignoreTlog = flags["insecure-ignore-tlog"] === true;
  const anyIdentity = [subject, subjectRegExp, issuer, issuerRegExp].some((v) => v !== undefined);
  if (keyPath !== undefined && anyIdentity) {
    throw new CudasealError("USAGE", "--key and the --certificate-* flags are two ways to verify: pick one", {
      hint: example,
    });
  }
  checkRegExp("--certificate-identity-regexp", subjectRegExp);
  checkRegExp("--certificate-oidc-issuer-regexp", issuerRegExp);
  const rootPath = stringFlag(flags, "trusted-root");
  if (keyPath !== undefined) {
    const publicKey = pemOf(await readPublicKey(keyPath));
    // A key bundle's log entry is checked against the trusted root's logs.
    const loaded = ignoreTlog && rootPath === undefined ? undefined : await trustedRootFrom(flags, out);
    return {
      trust: { publicKey, ignoreTlog, ...(loaded ? { trustedRoot: loaded.root } : {}) },
      ...(loaded ? { trustedRootSource: loaded.source } : {}),
    };
  }
  if (
    (subject === undefined && subjectRegExp === undefined) ||
    (issuer === undefined && issuerRegExp === undefined)
  ) {
    throw new CudasealError(
      "USAGE",
      "name the signer: --key FILE, or --certificate-identity (or -regexp) and --certificate-oidc-issuer (or -regexp)",
      { hint: example },
    );
  }
  const loaded = await trustedRootFrom(flags, out);
  const identity = {
    ...(subject !== undefined ? { subject } : {}),
    ...(subjectRegExp !== undefined ? { subjectRegExp } : {}),
    ...(issuer !== undefined ? { issuer } : {}),
    ...(issuerRegExp !== undefined ? { issuerRegExp } : {}),
  };
  return { trust: { trustedRoot: loaded.root, identity, ignoreTlog }, trustedRootSource: loaded.source };
}

/**
 * The trusted root: the file --trusted-root names, else the TUF repository's
 * (cached in the cache dir, --offline reading only the cache), falling back
 * to the cached one and then the shipped one with a warning.
 */
async function trustedRootFrom(flags: FlagValues, out?: Warner): Promise<LoadedTrustedRoot> {
  const rootPath = stringFlag(flags, "trusted-root");
  if (rootPath !== undefined) return loadTrustedRoot(rootPath);
  const tufRoot = stringFlag(flags, "tuf-root");
  const loaded = await tufTrustedRoot({
    cachePath: join(stringFlag(flags, "cache-dir") ?? defaultCacheDir(), "sigstore-tuf"),
    mirrorURL: stringFlag(flags, "tuf-mirror") ?? (process.env.CUDASEAL_TUF_MIRROR || DEFAULT_TUF_MIRROR),
    ...(tufRoot !== undefined ? { rootPath: tufRoot } : {}),
    offline: flags.offline === true,
  });
  if (loaded.warning !== undefined) out?.warn(loaded.warning);
  return { root: loaded.root, source: loaded.source };
}

// A pattern that does not compile is the user's mistake, said before any
// bundle is read, rather than as each bundle's failure after its checks.
function checkRegExp(flag: string, pattern: string | undefined): void {
  if (pattern === undefined) return;
  try {
    new RegExp(pattern, "u");
  } catch (err) {
    throw new CudasealError("USAGE", `${flag} ${JSON.stringify(pattern)} is not a regular expression`, {
      cause: err,
      hint: "a regular expression the identity or issuer must match anywhere, e.g. '^https://github\\.com/org/'",
    });
  }
}

function pemOf(key: KeyObject): string {
  return key.export({ format: "pem", type: "spki" }).toString();
}

const IDENTITY_FLAGS = [
  "certificate-identity",
  "certificate-identity-regexp",
  "certificate-oidc-issuer",
  "certificate-oidc-issuer-regexp",
];

/** What `verify` and `verify-attestation` check an image's signatures with. */
export interface ImageTrust {
  ref: string;
  /** The public key (--key): for cosign 2's `.sig`/`.att` tags and key-signed bundles. */
  key?: KeyObject;
  /** What the image's Sigstore bundle referrers are checked against. */
  bundles: BundleTrust;
  trustedRootSource?: string;
}

/**
 * The image positional and what to trust: `--key` (the tags and key bundles;
 * cudaseal's key signatures are never logged, so a key bundle needs no log
 * entry, as cosign's --insecure-ignore-tlog), or a keyless identity and
 * issuer under a trusted root (bundles only: a keyless signature in cosign
 * 2's tags is not read).
 */
export async function imageTrustFrom(
  positionals: string[],
  flags: FlagValues,
  example: string,
  out?: Warner,
): Promise<ImageTrust> {
  if (positionals.length !== 1) throw new CudasealError("USAGE", "name one image", { hint: example });
  const ref = positionals[0];
  const keyPath = stringFlag(flags, "key");
  const keyless = IDENTITY_FLAGS.some((f) => flags[f] !== undefined);
  if (keyPath !== undefined && !keyless) {
    const key = await readPublicKey(keyPath);
    return { ref, key, bundles: { publicKey: pemOf(key), ignoreTlog: true } };
  }
  const { trust, trustedRootSource } = await bundleTrustFrom(flags, example, out);
  return { ref, bundles: trust, ...(trustedRootSource ? { trustedRootSource } : {}) };
}
