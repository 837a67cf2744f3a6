// The OIDC identity token keyless signing trades for a Fulcio certificate.
// Where it comes from, in cosign's order: the token given (`--identity-token
// VALUE` or `@FILE`), $SIGSTORE_ID_TOKEN, then the ambient token of a GitHub
// Actions job (ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN, which a workflow has
// with `permissions: id-token: write`), asked for with the audience
// `sigstore`. A token is read, never trusted: it is only checked to be a JWT
// with an issuer and a subject that has not expired, so that a mistake is
// said here rather than as Fulcio's 400. Fulcio verifies its signature.

import { CudasealError } from "../errors.ts";
import { getBytes } from "../http/index.ts";
import { readRegularFile } from "../util/read-regular-file.ts";

/** A JWT is a few KiB; anything larger is not one. */
const MAX_TOKEN_BYTES = 64 * 1024;
/** The audience Fulcio expects of an ambient token. */
export const SIGSTORE_AUDIENCE = "sigstore";

/** A token and what it claims (unverified: Fulcio checks its signature). */
export interface IdentityToken {
  token: string;
  /** The identity Fulcio puts in the certificate: `email` when the issuer verified it, else `sub`. */
  subject: string;
  issuer: string;
  /** Where it came from, for messages. */
  source: "flag" | "file" | "SIGSTORE_ID_TOKEN" | "github-actions";
}

export interface IdentityTokenOptions {
  /** `--identity-token`: the token, or `@FILE` holding it. */
  given?: string;
  /** The environment to look in (default: this process's). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Bound on the GitHub Actions request (default 30 s). */
  timeoutMs?: number;
}

const MISSING_HINT =
  "pass --identity-token TOKEN (or @FILE), set SIGSTORE_ID_TOKEN, or run in a GitHub Actions job with 'permissions: id-token: write'";

/** The identity token to sign with: SIGN_TOKEN_MISSING when there is none, SIGN_TOKEN_INVALID when it is not a usable JWT. */
export async function identityToken(options: IdentityTokenOptions = {}): Promise<IdentityToken> {
  const env = options.env ?? process.env;
  const given = options.given?.trim();
  if (given !== undefined && given !== "") {
    if (given.startsWith("@")) return parseIdentityToken(await readTokenFile(given.slice(1)), "file");
    return parseIdentityToken(given, "flag");
  }
  const fromEnv = env.SIGSTORE_ID_TOKEN?.trim();
  if (fromEnv) return parseIdentityToken(fromEnv, "SIGSTORE_ID_TOKEN");
  const url = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const bearer = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (url && bearer)
    return parseIdentityToken(await githubActionsToken(url, bearer, options), "github-actions");
  throw new CudasealError(
    "SIGN_TOKEN_MISSING",
    "keyless signing needs an OIDC identity token, and none was found",
    {
      hint: MISSING_HINT,
    },
  );
}

async function readTokenFile(path: string): Promise<string> {
  const bytes = await readRegularFile(path, { what: "identity token", max: MAX_TOKEN_BYTES }).catch(
    (err: unknown) => {
      if (err instanceof CudasealError) throw err;
      throw new CudasealError(
        "SIGN_TOKEN_MISSING",
        `cannot read the identity token ${path}: ${(err as Error).message}`,
        {
          cause: err,
          hint: MISSING_HINT,
        },
      );
    },
  );
  return Buffer.from(bytes).toString("utf8").trim();
}

/** Ask the GitHub Actions runtime for a token with Fulcio's audience. */
async function githubActionsToken(
  requestUrl: string,
  bearer: string,
  options: IdentityTokenOptions,
): Promise<string> {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch (err) {
    throw new CudasealError("SIGN_TOKEN_MISSING", "ACTIONS_ID_TOKEN_REQUEST_URL is not a URL", {
      cause: err,
    });
  }
  url.searchParams.set("audience", SIGSTORE_AUDIENCE);
  const timeoutMs = options.timeoutMs ?? 30_000;
  let body: Buffer;
  try {
    body = await getBytes(url.href, {
      headers: { authorization: `Bearer ${bearer}`, accept: "application/json" },
      maxBytes: MAX_TOKEN_BYTES,
      attempts: 3,
      timeouts: { headersMs: timeoutMs, idleMs: timeoutMs },
      label: "the GitHub Actions identity token",
      hint: "the job's token endpoint did not answer; the workflow needs 'permissions: id-token: write'",
    });
  } catch (err) {
    throw new CudasealError(
      "SIGN_TOKEN_MISSING",
      `could not get the GitHub Actions identity token: ${(err as Error).message}`,
      { cause: err, hint: "the workflow needs 'permissions: id-token: write'" },
    );
  }
  let value: unknown;
  try {
    value = (JSON.parse(body.toString("utf8")) as { value?: unknown }).value;
  } catch {
    value = undefined;
  }
  if (typeof value !== "string" || value === "")
    throw new CudasealError(
      "SIGN_TOKEN_INVALID",
      "the GitHub Actions token endpoint answered without a token",
    );
  return value;
}

/** A JWT's claims, checked to name an issuer and a subject and not to have expired. */
export function parseIdentityToken(
  token: string,
  source: IdentityToken["source"],
  now = Date.now(),
): IdentityToken {
  const invalid = (why: string) =>
    new CudasealError("SIGN_TOKEN_INVALID", `the identity token (from ${source}) ${why}`, {
      hint: "pass the raw JWT your OIDC provider issued (three base64url parts joined by dots)",
    });
  if (token.length > MAX_TOKEN_BYTES) throw invalid("is too large to be a JWT");
  const parts = token.split(".");
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p)) || parts[1] === "")
    throw invalid("is not a JWT");
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
  } catch {
    throw invalid("has claims that are not JSON");
  }
  if (claims === null || typeof claims !== "object" || Array.isArray(claims))
    throw invalid("has no claims object");
  const issuer = claims.iss;
  if (typeof issuer !== "string" || issuer === "") throw invalid("names no issuer (iss)");
  // Fulcio binds the verified email when there is one, else the subject.
  const subject =
    claims.email_verified === true && typeof claims.email === "string" ? claims.email : claims.sub;
  if (typeof subject !== "string" || subject === "") throw invalid("names no subject (sub)");
  if (typeof claims.email === "string" && claims.email_verified !== true)
    throw invalid("has an email its issuer did not verify, which Fulcio refuses");
  if (typeof claims.exp === "number" && claims.exp * 1000 <= now) {
    throw new CudasealError(
      "SIGN_TOKEN_INVALID",
      `the identity token (from ${source}) expired at ${new Date(claims.exp * 1000).toISOString()}`,
      { hint: "get a fresh token: OIDC tokens for signing live a few minutes" },
    );
  }
  return { token, subject, issuer, source };
}
