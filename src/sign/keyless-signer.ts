// Keyless signing: a BundleSigner (bundle-signer.ts) that signs with a fresh
// ECDSA P-256 key held in memory, gets a Fulcio certificate binding that key
// to the OIDC identity of the token for ten minutes, and logs the signature
// in Rekor. The bundle carries the certificate and the Rekor entry (its
// inclusion proof and signed entry timestamp), so a verifier that trusts
// Fulcio's root and Rekor's key (a trusted_root.json) can check it offline,
// long after the certificate expired. The exchanges are the Sigstore
// project's own (@sigstore/sign's FulcioSigner and RekorWitness); this file
// bounds them and gives each failure cudaseal's code.

import { generateKeyPairSync, sign } from "node:crypto";
import { type Bundle, bundleToJSON } from "@sigstore/bundle";
import {
  DEFAULT_FULCIO_URL,
  DEFAULT_REKOR_URL,
  DSSEBundleBuilder,
  FulcioSigner,
  InternalError,
  MessageSignatureBundleBuilder,
  RekorWitness,
  type Signature,
  type Signer,
} from "@sigstore/sign";
import { CudasealError } from "../errors.ts";
import { redactUrl } from "../http/index.ts";
import type { BundleSigner } from "./bundle-signer.ts";
import type { IdentityToken } from "./identity-token.ts";

export { DEFAULT_FULCIO_URL, DEFAULT_REKOR_URL };

export interface KeylessOptions {
  /** The OIDC token (identity-token.ts). */
  token: IdentityToken;
  /** cosign's --fulcio-url (default: the public-good instance). */
  fulcioURL?: string;
  /** cosign's --rekor-url (default: the public-good instance). */
  rekorURL?: string;
  /** Bound on each request to Fulcio or Rekor (default 30 s). */
  timeoutMs?: number;
  /** Further tries after a connection failure, 408, 429 or 5xx (default 2). */
  retries?: number;
}

/** A BundleSigner that signs as the token's identity, with Fulcio and Rekor. */
export function keylessBundleSigner(options: KeylessOptions): BundleSigner {
  const fulcioURL = serviceURL(options.fulcioURL ?? DEFAULT_FULCIO_URL, "--fulcio-url");
  const rekorURL = serviceURL(options.rekorURL ?? DEFAULT_REKOR_URL, "--rekor-url");
  const fetchOptions = {
    timeout: options.timeoutMs ?? 30_000,
    retry: { retries: options.retries ?? 2, factor: 2, minTimeout: 250, maxTimeout: 4000 },
  };
  const signer = certifiedOnce(
    (keyHolder) =>
      new FulcioSigner({
        fulcioBaseURL: fulcioURL,
        identityProvider: { getToken: async () => options.token.token },
        keyHolder,
        ...fetchOptions,
      }),
  );
  const witnesses = [new RekorWitness({ rekorBaseURL: rekorURL, fetchOnConflict: true, ...fetchOptions })];
  const where = { fulcio: redactUrl(fulcioURL), rekor: redactUrl(rekorURL) };
  return {
    async signDsse(payload, payloadType) {
      const builder = new DSSEBundleBuilder({ signer, witnesses, certificateChain: false });
      return bundleToJSON(await create(() => builder.create({ data: payload, type: payloadType }), where));
    },
    async signMessage(artifact) {
      const builder = new MessageSignatureBundleBuilder({ signer, witnesses });
      return bundleToJSON(v03(await create(() => builder.create({ data: artifact }), where)));
    },
  };
}

/** A certificate is asked for again this long before its ten minutes are up. */
const CERTIFICATE_REUSE_MS = 8 * 60 * 1000;

/**
 * One Fulcio certificate for all the signatures of one run (`sign
 * --recursive` signs each platform manifest), as cosign uses one: the
 * ephemeral key stays the same and its certificate is reused while it has
 * minutes left, instead of one certificate request per signature. Each
 * signature is still logged in Rekor on its own.
 */
function certifiedOnce(fulcio: (keyHolder: Signer) => Signer, now = Date.now): Signer {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const keyHolder: Signer = {
    async sign(data) {
      return {
        signature: sign("sha256", data, privateKey),
        key: { $case: "publicKey", publicKey: publicKey.export({ format: "pem", type: "spki" }).toString() },
      };
    },
  };
  const certifier = fulcio(keyHolder);
  let certified: { key: Signature["key"]; at: number } | undefined;
  return {
    async sign(data) {
      if (certified === undefined || now() - certified.at > CERTIFICATE_REUSE_MS) {
        const at = now();
        const signature = await certifier.sign(data);
        certified = { key: signature.key, at };
        return signature;
      }
      return { signature: (await keyHolder.sign(data)).signature, key: certified.key };
    },
  };
}

function serviceURL(value: string, flag: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch (err) {
    throw new CudasealError("USAGE", `${flag} ${value} is not a URL`, { cause: err });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new CudasealError("USAGE", `${flag} must be an http(s) URL, not ${url.protocol}`);
  // The clients append their API paths to the base.
  return url.href.replace(/\/+$/, "");
}

/** Run one bundle build, its failures as SIGN_KEYLESS_FAILED naming the service that failed. */
async function create<T extends Bundle>(
  build: () => Promise<T>,
  where: { fulcio: string; rekor: string },
): Promise<T> {
  try {
    return await build();
  } catch (err) {
    if (err instanceof CudasealError) throw err;
    const code = err instanceof InternalError ? err.code : undefined;
    const why = describeCause(err);
    if (code === "CA_CREATE_SIGNING_CERTIFICATE_ERROR") {
      throw new CudasealError(
        "SIGN_KEYLESS_FAILED",
        `Fulcio at ${where.fulcio} issued no certificate: ${why}`,
        {
          cause: err,
          hint: "check --fulcio-url and that the identity token is fresh and meant for Fulcio (audience sigstore)",
          details: { service: "fulcio", url: where.fulcio },
        },
      );
    }
    if (code === "TLOG_CREATE_ENTRY_ERROR" || code === "TLOG_FETCH_ENTRY_ERROR") {
      throw new CudasealError(
        "SIGN_KEYLESS_FAILED",
        `Rekor at ${where.rekor} did not log the signature: ${why}`,
        {
          cause: err,
          hint: "check --rekor-url; nothing was stored",
          details: { service: "rekor", url: where.rekor },
        },
      );
    }
    if (code === "IDENTITY_TOKEN_PARSE_ERROR" || code === "IDENTITY_TOKEN_READ_ERROR") {
      throw new CudasealError("SIGN_TOKEN_INVALID", `the identity token was refused: ${why}`, { cause: err });
    }
    throw new CudasealError("SIGN_KEYLESS_FAILED", `keyless signing failed: ${why}`, { cause: err });
  }
}

/** The innermost message of an error chain, short (the library's wrap says little). */
function describeCause(err: unknown): string {
  let e: unknown = err;
  const seen: string[] = [];
  for (let depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const message = e instanceof Error ? e.message : String(e);
    if (message && !seen.includes(message)) seen.push(message);
    e = e instanceof Error ? (e as Error & { cause?: unknown }).cause : undefined;
  }
  return seen.join(": ").slice(0, 500) || "unknown error";
}

/**
 * @sigstore/sign writes a message signature's certificate as a one-element
 * chain (bundle v0.2); cosign 3's `sign-blob --bundle` writes v0.3, a single
 * certificate. The witnesses signed nothing of the verification material's
 * shape, so it is rewritten.
 */
function v03<T extends Bundle>(bundle: T): T {
  const content = bundle.verificationMaterial.content;
  if (content.$case !== "x509CertificateChain") return bundle;
  const [leaf] = content.x509CertificateChain.certificates;
  return {
    ...bundle,
    mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
    verificationMaterial: {
      ...bundle.verificationMaterial,
      content: { $case: "certificate", certificate: leaf },
    },
  };
}
