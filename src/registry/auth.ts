// Registry authentication as Docker clients do it. A registry answers 401
// with a `WWW-Authenticate` challenge: `Basic realm=…` means send the
// credential on every request; `Bearer realm=…,service=…,scope=…` means fetch
// a token from the realm (with the credential as Basic auth, or anonymously)
// for the scopes the request needs, and send that. Tokens are cached per
// scope set until shortly before they expire.
//
// Credentials are looked up only when a registry first asks for them, so a
// registry that needs none never runs a credential helper.
//
// The realm is named by the registry, so it is not trusted more than the
// registry: a plain-HTTP realm is spoken to only where plain HTTP is allowed
// (loopback, or a host named --insecure), and a credential travels only over
// TLS or to loopback, never in the clear to whatever host a challenge names.

import { CudasealError } from "../errors.ts";
import { isLoopback } from "../http/index.ts";
import type { Credential } from "./credentials.ts";
import { readCapped } from "./read-capped.ts";

/** Largest token server answer read: a token is a few KiB; a hostile realm must not make us buffer more. */
const MAX_TOKEN_ANSWER = 1024 * 1024;

/** One parsed challenge: the scheme (lowercase) and its parameters. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parse a `WWW-Authenticate` value; the first challenge is the one used. */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*([A-Za-z][A-Za-z0-9_-]*)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?/gy;
  const rest = m[2];
  re.lastIndex = 0;
  let p: RegExpExecArray | null = re.exec(rest);
  while (p !== null) {
    params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : (p[3] ?? "");
    if (re.lastIndex >= rest.length) break;
    p = re.exec(rest);
  }
  return { scheme: m[1].toLowerCase(), params };
}

/** How requests get their Authorization header, learned from the first challenge. */
export type AuthState =
  | { kind: "unknown" }
  | { kind: "none" }
  | { kind: "basic" }
  | { kind: "bearer"; realm: string; service?: string };

interface CachedToken {
  token: string;
  expires: number;
}

/** Sends a token request: a GET, or a POST of `form` when given. */
export type TokenFetcher = (url: string, headers: Record<string, string>, form?: string) => Promise<Response>;

/** Keeps one registry's auth scheme, credential and tokens. */
export class Authenticator {
  readonly registry: string;
  state: AuthState = { kind: "unknown" };
  readonly #tokens = new Map<string, CachedToken>();
  readonly #pending = new Map<string, Promise<string>>();
  readonly #credential: () => Promise<Credential | undefined>;
  #cred: Promise<Credential | undefined> | undefined;
  readonly #fetchToken: TokenFetcher;
  readonly #plainHttpAllowed: (host: string) => boolean;

  constructor(
    registry: string,
    credential: () => Promise<Credential | undefined>,
    plainHttpAllowed: (host: string) => boolean,
    fetchToken: TokenFetcher,
  ) {
    this.registry = registry;
    this.#credential = credential;
    this.#plainHttpAllowed = plainHttpAllowed;
    this.#fetchToken = fetchToken;
  }

  credential(): Promise<Credential | undefined> {
    this.#cred ??= this.#credential();
    return this.#cred;
  }

  /** The Authorization header for a request needing `scopes`, when the scheme is known; none before the first challenge. */
  async header(scopes: readonly string[]): Promise<string | undefined> {
    const state = this.state;
    if (state.kind === "basic") {
      const cred = await this.credential();
      // An identity token goes only to a token realm, never as Basic auth.
      return cred === undefined || cred.identityToken !== undefined ? undefined : basic(cred);
    }
    if (state.kind === "bearer") {
      const token = await this.#token(state, scopes, false);
      return token === undefined ? undefined : `Bearer ${token}`;
    }
    return undefined;
  }

  /** Learn the scheme from the `/v2/` ping's challenge, fetching nothing yet. */
  learn(header: string | null): void {
    const challenge = header === null ? undefined : parseChallenge(header);
    if (challenge?.scheme === "basic") this.state = { kind: "basic" };
    else if (challenge?.scheme === "bearer" && challenge.params.realm !== undefined)
      this.state = { kind: "bearer", realm: challenge.params.realm, service: challenge.params.service };
  }

  /**
   * Learn from a 401's challenge and get ready to answer it. Returns true
   * when the request is worth sending once more (the client does so only
   * once): a Bearer token was fetched, or Basic auth has a credential.
   */
  async challenged(header: string | null, scopes: readonly string[]): Promise<boolean> {
    const challenge = header === null ? undefined : parseChallenge(header);
    if (challenge === undefined) return false;
    if (challenge.scheme === "basic") {
      this.state = { kind: "basic" };
      const cred = await this.credential();
      return cred !== undefined && cred.identityToken === undefined;
    }
    if (challenge.scheme !== "bearer") return false;
    const realm = challenge.params.realm;
    if (realm === undefined)
      throw new CudasealError(
        "REGISTRY_INVALID_RESPONSE",
        `${this.registry} sent a Bearer challenge without a realm`,
      );
    const state: AuthState = { kind: "bearer", realm, service: challenge.params.service };
    this.state = state;
    // The registry may ask for more than we thought (a mount's source repository).
    const wanted = [...new Set([...scopes, ...(challenge.params.scope?.split(" ") ?? [])])];
    const token = await this.#token(state, wanted, true);
    this.#tokens.set(scopeKey(scopes), this.#tokens.get(scopeKey(wanted)) ?? { token, expires: 0 });
    return true;
  }

  /** A token for `scopes`: cached, or one fetch shared by every request asking at once. */
  #token(
    state: Extract<AuthState, { kind: "bearer" }>,
    scopes: readonly string[],
    fresh: boolean,
  ): Promise<string> {
    const key = scopeKey(scopes);
    const cached = this.#tokens.get(key);
    if (!fresh && cached !== undefined && cached.expires > Date.now()) return Promise.resolve(cached.token);
    const pending = this.#pending.get(key);
    if (pending !== undefined) return pending;
    const fetching = this.#fetchNew(state, scopes, key).finally(() => this.#pending.delete(key));
    this.#pending.set(key, fetching);
    return fetching;
  }

  /** The realm a challenge named, if it may be spoken to: HTTPS, or plain HTTP where its host is allowed that. */
  #realmUrl(realm: string): URL {
    let url: URL;
    try {
      url = new URL(realm);
    } catch (err) {
      throw new CudasealError(
        "REGISTRY_INVALID_RESPONSE",
        `${this.registry} named a token realm that is not a URL`,
        {
          cause: err,
          details: { registry: this.registry },
        },
      );
    }
    if (url.protocol !== "https:" && url.protocol !== "http:")
      throw new CudasealError(
        "REGISTRY_INVALID_RESPONSE",
        `${this.registry} named a token realm that is not HTTP(S): ${url.protocol}`,
        { details: { registry: this.registry } },
      );
    if (url.protocol === "http:" && !this.#plainHttpAllowed(url.host))
      throw new CudasealError(
        "REGISTRY_INSECURE",
        `${this.registry}: the token realm ${url.origin} is plain HTTP, which is not allowed for ${url.host}`,
        {
          hint: `a token realm must speak HTTPS; if ${url.host} is meant to serve plain HTTP, allow that with --insecure ${url.host}`,
          details: { registry: this.registry, realm: url.origin + url.pathname },
        },
      );
    url.username = "";
    url.password = "";
    return url;
  }

  async #fetchNew(
    state: Extract<AuthState, { kind: "bearer" }>,
    scopes: readonly string[],
    key: string,
  ): Promise<string> {
    const realm = this.#realmUrl(state.realm);
    const url = new URL(realm);
    if (state.service !== undefined) url.searchParams.set("service", state.service);
    for (const scope of scopes) url.searchParams.append("scope", scope);
    const cred = await this.credential();
    if (cred !== undefined && url.protocol === "http:" && !isLoopback(url.host))
      throw new CudasealError(
        "REGISTRY_INSECURE",
        `${this.registry}: the token realm ${url.origin} is plain HTTP; the credential from ${cred.source} is not sent there`,
        {
          hint: "serve the token realm over HTTPS: cudaseal sends credentials only over TLS or to loopback",
          details: { registry: this.registry, realm: url.origin + url.pathname },
        },
      );
    const headers: Record<string, string> = { accept: "application/json" };
    let res: Response;
    if (cred?.identityToken !== undefined) {
      // OAuth2, as Docker does with an identity token: POST the refresh token to the realm.
      const form = new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: cred.identityToken,
        client_id: "cudaseal",
        service: state.service ?? "",
        scope: scopes.join(" "),
      });
      headers["content-type"] = "application/x-www-form-urlencoded";
      res = await this.#fetchToken(realm.toString(), headers, form.toString());
    } else {
      if (cred !== undefined) headers.authorization = basic(cred);
      res = await this.#fetchToken(url.toString(), headers);
    }
    const text = (
      await readCapped(res, MAX_TOKEN_ANSWER, `${this.registry}: the token server's answer`)
    ).toString("utf8");
    if (res.status === 401 || res.status === 403) {
      throw new CudasealError(
        "REGISTRY_AUTH_FAILED",
        `${this.registry}: the token server refused ${cred === undefined ? "an anonymous request" : `the credential from ${cred.source}`} (HTTP ${res.status})`,
        {
          hint:
            cred === undefined
              ? "log in: pass --username and --password-stdin, or add the registry to your Docker config"
              : "check the username and password",
          details: { registry: this.registry, status: res.status, realm: url.origin + url.pathname },
        },
      );
    }
    if (!res.ok)
      throw new CudasealError(
        "REGISTRY_AUTH_FAILED",
        `${this.registry}: the token server answered HTTP ${res.status}`,
        {
          details: { registry: this.registry, status: res.status, realm: url.origin + url.pathname },
        },
      );
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch (err) {
      throw new CudasealError(
        "REGISTRY_INVALID_RESPONSE",
        `${this.registry}: the token server did not answer JSON`,
        {
          cause: err,
        },
      );
    }
    const token = typeof body.token === "string" ? body.token : body.access_token;
    if (typeof token !== "string" || token === "")
      throw new CudasealError(
        "REGISTRY_INVALID_RESPONSE",
        `${this.registry}: the token server sent no token`,
      );
    // Docker's default lifetime is 60 s; renew 10 s early.
    const lifetime = typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : 60;
    this.#tokens.set(key, { token, expires: Date.now() + Math.max(lifetime - 10, 5) * 1000 });
    return token;
  }
}

function scopeKey(scopes: readonly string[]): string {
  return [...scopes].sort().join(" ");
}

function basic(cred: Credential): string {
  return `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString("base64")}`;
}

/** The scope string for a repository and actions (`repository:team/cuda:pull,push`). */
export function repositoryScope(repository: string, actions: "pull" | "pull,push"): string {
  return `repository:${repository}:${actions}`;
}
