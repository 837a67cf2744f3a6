// Who must have signed an image, as every admission policy kind states it:
// a public key (cosign.pub, the key `cudaseal sign --key` used), or, for
// keyless signatures, the Fulcio certificate's identity (subject) and its
// OIDC issuer, each exact or a regular expression, with cosign's meaning of
// --certificate-identity(-regexp) and --certificate-oidc-issuer(-regexp).
// A keyless policy must pin both: a subject alone would accept that name
// from any issuer, an issuer alone anyone it ever issued a token to.

import { CudasealError } from "../errors.ts";
import { policyPublicKey } from "./public-key.ts";

/** A keyless signer: exactly one of subject and subjectRegExp, one of issuer and issuerRegExp. */
export interface KeylessIdentity {
  subject?: string;
  subjectRegExp?: string;
  issuer?: string;
  issuerRegExp?: string;
}

export type PolicyTrust = { kind: "key"; publicKey: string } | ({ kind: "keyless" } & KeylessIdentity);

export interface PolicyTrustInput {
  /** The PEM public key (cosign.pub's text). */
  publicKey?: string;
  identity?: KeylessIdentity;
}

/** The trust a policy pins, checked: USAGE when it names neither or both, or half an identity. */
export function policyTrust(input: PolicyTrustInput): PolicyTrust {
  const identity = dropEmpty(input.identity ?? {});
  const hasIdentity = Object.keys(identity).length > 0;
  if (input.publicKey !== undefined && hasIdentity) {
    throw usage(
      "a policy pins a key or a keyless identity, not both",
      "drop --key for keyless signatures, or the --certificate-* flags for key-based ones",
    );
  }
  if (input.publicKey !== undefined) return { kind: "key", publicKey: policyPublicKey(input.publicKey) };
  if (!hasIdentity) {
    throw usage(
      "name the signer: --key cosign.pub, or --certificate-identity and --certificate-oidc-issuer",
      "--key cosign.pub (signed with 'cudaseal sign --key'), or for keyless signatures e.g. " +
        "--certificate-identity-regexp '^https://github.com/org/' --certificate-oidc-issuer https://token.actions.githubusercontent.com",
    );
  }
  const pair = (exact: "subject" | "issuer", flag: string) => {
    const regexp = exact === "subject" ? "subjectRegExp" : "issuerRegExp";
    if (identity[exact] !== undefined && identity[regexp] !== undefined) {
      throw usage(`--${flag} and --${flag}-regexp both name the ${exact}`, "pass one of them");
    }
    if (identity[exact] === undefined && identity[regexp] === undefined) {
      throw usage(
        `a keyless policy needs the certificate's ${exact}: --${flag} or --${flag}-regexp`,
        exact === "subject"
          ? "without it, anyone the issuer ever gave a token to would pass"
          : "without it, anyone able to claim that identity at any issuer would pass",
      );
    }
    const pattern = identity[regexp];
    if (pattern !== undefined) {
      try {
        new RegExp(pattern);
      } catch (err) {
        throw usage(
          `--${flag}-regexp ${JSON.stringify(pattern)} is not a regular expression`,
          (err as Error).message,
        );
      }
      if (!pattern.startsWith("^")) {
        throw usage(
          `--${flag}-regexp ${JSON.stringify(pattern)} is not anchored at its start`,
          "begin it with ^: an unanchored pattern matches any identity that merely contains it",
        );
      }
    }
  };
  pair("subject", "certificate-identity");
  pair("issuer", "certificate-oidc-issuer");
  for (const [field, value] of Object.entries(identity)) {
    if (/[\u0000-\u001f\u007f]/.test(value) || value.length > 1024) {
      throw usage(`the certificate ${field} ${JSON.stringify(value)} is not one a certificate can carry`);
    }
  }
  return { kind: "keyless", ...identity };
}

function dropEmpty(identity: KeylessIdentity): KeylessIdentity {
  return Object.fromEntries(Object.entries(identity).filter(([, v]) => v !== undefined)) as KeylessIdentity;
}

function usage(message: string, hint?: string): CudasealError {
  return new CudasealError("USAGE", message, { hint });
}
