// One registry host, spoken to over HTTP the way the OCI Distribution spec
// and Docker clients do: a first `GET /v2/` learns whether the registry is
// there, which scheme it speaks and how it wants authentication; each request
// then carries the Authorization its scopes need (auth.ts), is bounded by the
// headers and idle timeouts of src/http/ (REGISTRY_TIMEOUT), is retried with
// backoff on 429, 5xx, timeouts and dropped connections (honouring
// Retry-After), and a failure becomes a CudasealError naming the registry,
// repository, HTTP status and the registry's own error code from its JSON
// body.
//
// TLS always, except plain HTTP for loopback hosts (127.0.0.1, localhost,
// [::1]) and hosts named with `--insecure`; even those try HTTPS first, as
// Docker does. Certificates are always verified (a private CA goes in
// NODE_EXTRA_CA_CERTS).

import { CudasealError, type ErrorCode } from "../errors.ts";
import {
  DEFAULT_RETRY,
  discard,
  type HttpTimeouts,
  isLoopback,
  isTimeout,
  RetryableError,
  type RetryPolicy,
  redactUrl,
  resolveTimeouts,
  retryAfter,
  type SendOptions,
  send,
  timeoutError,
  withRetries,
} from "../http/index.ts";
import { Authenticator } from "./auth.ts";
import { type CredentialOptions, findCredential } from "./credentials.ts";

export interface RegistryClientOptions {
  /** Hosts (`host[:port]`) that may be spoken to over plain HTTP besides loopback. */
  insecure?: readonly string[];
  credentials?: CredentialOptions;
  retry?: RetryPolicy;
  /** Headers and idle bounds; unset ones come from the environment or the defaults (src/http/timeouts.ts). */
  timeouts?: Partial<HttpTimeouts>;
  /**
   * Clients to share, by registry: a caller that opens many repositories or
   * images of one registry (a rescan of a thousand tags) passes one map, so
   * the scheme is probed and tokens are fetched once, not once per image.
   */
  clients?: Map<string, RegistryClient>;
}

/** What a request sends: bytes, or a fresh stream per attempt. */
export type RequestBody = Uint8Array | AsyncIterable<Uint8Array>;

export interface RegistryRequest {
  method: "GET" | "HEAD" | "PUT" | "POST" | "PATCH" | "DELETE";
  /** A path under the registry (`/v2/…`) or an absolute URL (an upload's Location). */
  url: string;
  /** Token scopes the request needs. */
  scopes: readonly string[];
  headers?: Record<string, string>;
  /** Called once per attempt, so a stream can be opened afresh. */
  body?: () => RequestBody;
  /** Statuses that are answers rather than failures (default: 2xx). */
  ok?: readonly number[];
  /** What the request is for, in messages: `push blob sha256:…`. */
  what: string;
  repository?: string;
  /** Retry on 429/5xx/connection errors (default true). */
  retry?: boolean;
  /** Follow redirects (blob downloads). Default "follow". */
  redirect?: "follow" | "manual";
}

/** Largest error body read, to name the registry's error code. */
const MAX_ERROR_BODY = 64 * 1024;

/** A client for one registry host; shared by every repository on it. */
export class RegistryClient {
  readonly registry: string;
  readonly auth: Authenticator;
  readonly #options: RegistryClientOptions;
  #base: Promise<string> | undefined;

  constructor(registry: string, options: RegistryClientOptions = {}) {
    this.registry = registry;
    this.#options = options;
    this.auth = new Authenticator(
      registry,
      () => findCredential(registry, options.credentials),
      (host) => this.plainHttpAllowedFor(host),
      (url, headers, form) =>
        this.#fetchWithRetry(
          url,
          form === undefined
            ? { method: "GET", headers }
            : // A redirected POST would carry the refresh token wherever it pointed.
              { method: "POST", headers, body: () => Buffer.from(form), redirect: "manual" },
          "fetch a token",
          undefined,
        ),
    );
  }

  /** True when plain HTTP is allowed for this host. */
  get plainHttpAllowed(): boolean {
    return this.plainHttpAllowedFor(this.registry);
  }

  /** True when plain HTTP is allowed for `host` (`host[:port]`): loopback, or named `--insecure`. */
  plainHttpAllowedFor(host: string): boolean {
    return isLoopback(host) || (this.#options.insecure ?? []).includes(host);
  }

  /** The retry policy every request of this client follows. */
  get retryPolicy(): RetryPolicy {
    return this.#options.retry ?? {};
  }

  /** `https://host` or, where allowed and HTTPS fails, `http://host`; found once by `GET /v2/`. */
  base(): Promise<string> {
    this.#base ??= this.#ping();
    return this.#base;
  }

  async #ping(): Promise<string> {
    const https = `https://${this.registry}`;
    let res: Response;
    try {
      res = await this.#fetchWithRetry(`${https}/v2/`, { method: "GET" }, "reach the registry", undefined, {
        tlsFallback: true,
      });
    } catch (err) {
      if (!(err instanceof TlsFallback)) {
        this.#base = undefined;
        throw err;
      }
      if (!this.plainHttpAllowed) {
        this.#base = undefined;
        throw new CudasealError("REGISTRY_INSECURE", `${this.registry} does not speak HTTPS`, {
          hint: `if it is meant to serve plain HTTP, allow that with --insecure ${this.registry}`,
          cause: err.cause,
          details: { registry: this.registry },
        });
      }
      const http = `http://${this.registry}`;
      try {
        res = await this.#fetchWithRetry(`${http}/v2/`, { method: "GET" }, "reach the registry", undefined);
      } catch (err2) {
        this.#base = undefined;
        throw err2;
      }
      await this.#learn(res, `${http}/v2/`);
      return http;
    }
    await this.#learn(res, `${https}/v2/`);
    return https;
  }

  async #learn(res: Response, url: string): Promise<void> {
    await discard(res);
    if (res.status === 401) {
      this.auth.learn(res.headers.get("www-authenticate"));
      return;
    }
    if (res.status >= 200 && res.status < 300) {
      this.auth.state = { kind: "none" };
      return;
    }
    // Some registries answer /v2/ oddly (404 behind a proxy); requests will tell.
    if (res.status !== 404)
      throw await httpError(res, { registry: this.registry, what: "reach the registry", url }, true);
  }

  /** Send one request with auth and retries; answers outside `ok` become errors. */
  async request(req: RegistryRequest): Promise<Response> {
    const base = await this.base();
    const url =
      req.url.startsWith("http://") || req.url.startsWith("https://") ? req.url : `${base}${req.url}`;
    let reauthed = false;
    for (;;) {
      const headers: Record<string, string> = { ...req.headers };
      const authorization = await this.auth.header(req.scopes);
      // Never send credentials to another host than the registry (a Location may point elsewhere).
      if (authorization !== undefined && sameHost(url, base)) headers.authorization = authorization;
      const res = await this.#fetchWithRetry(
        url,
        { method: req.method, headers, body: req.body, redirect: req.redirect ?? "follow" },
        req.what,
        req.repository,
        { retry: req.retry !== false },
      );
      if (res.status === 401 && !reauthed) {
        await discard(res);
        reauthed = true;
        if (await this.auth.challenged(res.headers.get("www-authenticate"), req.scopes)) continue;
        throw await authError(this, req, res.status);
      }
      const ok = req.ok ?? [];
      if ((res.status >= 200 && res.status < 300 && req.ok === undefined) || ok.includes(res.status))
        return res;
      if (res.status === 401) {
        await discard(res);
        throw await authError(this, req, res.status);
      }
      throw await httpError(res, {
        registry: this.registry,
        repository: req.repository,
        what: req.what,
        url,
      });
    }
  }

  async #fetchWithRetry(
    url: string,
    init: {
      method: string;
      headers?: Record<string, string>;
      body?: () => RequestBody;
      redirect?: "follow" | "manual";
    },
    what: string,
    repository: string | undefined,
    flags: { retry?: boolean; tlsFallback?: boolean } = {},
  ): Promise<Response> {
    const policy = this.retryPolicy;
    const maxDelay = policy.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
    const options = this.#sendOptions(url, what, repository);
    return withRetries({ ...policy, attempts: flags.retry === false ? 1 : policy.attempts }, async (at) => {
      let res: Response;
      try {
        res = await send(
          url,
          {
            method: init.method,
            headers: { "user-agent": "cudaseal", ...init.headers },
            body: init.body?.(),
            redirect: init.redirect,
          },
          options,
        );
      } catch (err) {
        if (isTimeout(err)) throw err;
        if (flags.tlsFallback && isTlsOrProtocolError(err, this.plainHttpAllowed))
          throw new TlsFallback(undefined, { cause: err });
        const unreachable = new CudasealError(
          "REGISTRY_UNREACHABLE",
          `${this.registry}: cannot ${what}: ${networkMessage(err)}`,
          {
            hint: isCertificateError(err)
              ? "the registry's TLS certificate is not trusted; add its CA with NODE_EXTRA_CA_CERTS"
              : "check the registry's address and that it is up; cudaseal retried with backoff",
            cause: err,
            details: { registry: this.registry, repository, attempts: at.number },
          },
        );
        if (isCertificateError(err) || at.last) throw unreachable;
        throw new RetryableError(unreachable.message, { cause: unreachable });
      }
      if ((res.status === 429 || res.status >= 500) && !at.last) {
        const afterMs = retryAfter(res.headers.get("retry-after"), maxDelay);
        await discard(res);
        throw new RetryableError(`HTTP ${res.status}`, { afterMs });
      }
      return res;
    });
  }

  /** Timeouts for a request, and its errors in the registry's terms. */
  #sendOptions(url: string, what: string, repository: string | undefined): SendOptions {
    const where = repository === undefined ? this.registry : `${this.registry}/${repository}`;
    const details = { registry: this.registry, repository, url: redactUrl(url) };
    return {
      timeouts: resolveTimeouts(this.#options.timeouts),
      timeout: (phase, ms) =>
        timeoutError("REGISTRY_TIMEOUT", `${where}: cannot ${what}`, phase, ms, details),
      interrupted: (cause) =>
        new CudasealError(
          "REGISTRY_UNREACHABLE",
          `${where}: cannot ${what}: the connection was cut mid-answer (${networkMessage(cause)})`,
          { hint: "the registry or the network dropped the connection; try again", cause, details },
        ),
    };
  }
}

/** Thrown inside the ping when HTTPS fails in a way that plain HTTP may fix. */
class TlsFallback extends Error {}

function sameHost(url: string, base: string): boolean {
  try {
    return new URL(url).host === new URL(base).host;
  } catch {
    return false;
  }
}

function causeCode(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown } })?.cause;
  return typeof cause?.code === "string" ? cause.code : "";
}

function isCertificateError(err: unknown): boolean {
  const code = causeCode(err);
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS_CERT/.test(code);
}

/**
 * HTTPS failed in a way that means the server speaks something else (a
 * reset counts where HTTP is allowed anyway). A certificate error means it
 * does speak TLS: that is reported, never answered by trying plain HTTP.
 */
function isTlsOrProtocolError(err: unknown, plainAllowed: boolean): boolean {
  const code = causeCode(err);
  if (isCertificateError(err)) return false;
  if (code.startsWith("ERR_SSL") || code === "EPROTO") return true;
  return plainAllowed && code === "ECONNRESET";
}

function networkMessage(err: unknown): string {
  const cause = (err as { cause?: { message?: string; code?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err);
}

interface ErrorContext {
  registry: string;
  repository?: string;
  what: string;
  url: string;
}

/** The registry's error code and message from an OCI error body, if any. */
export function registryErrorCode(text: string): { code?: string; message?: string } {
  try {
    const body = JSON.parse(text) as { errors?: { code?: unknown; message?: unknown }[] };
    const first = Array.isArray(body.errors) ? body.errors[0] : undefined;
    return {
      code: typeof first?.code === "string" ? first.code : undefined,
      message: typeof first?.message === "string" ? first.message : undefined,
    };
  } catch {
    return {};
  }
}

/** A failed answer as a CudasealError naming registry, repository, status and the registry's code. */
export async function httpError(res: Response, ctx: ErrorContext, ping = false): Promise<CudasealError> {
  let text = "";
  try {
    if (res.body !== null) {
      const reader = res.body.getReader();
      const chunks: Uint8Array[] = [];
      let size = 0;
      while (size < MAX_ERROR_BODY) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        size += value.length;
      }
      await reader.cancel().catch(() => undefined);
      text = Buffer.concat(chunks).toString("utf8");
    }
  } catch {
    // The body is only for the message.
  }
  const { code: registryCode, message } = registryErrorCode(text);
  const code: ErrorCode =
    res.status === 401
      ? "REGISTRY_AUTH_FAILED"
      : res.status === 403
        ? "REGISTRY_DENIED"
        : res.status === 404 && !ping
          ? "REGISTRY_NOT_FOUND"
          : res.status === 413
            ? "REGISTRY_TOO_LARGE"
            : "REGISTRY_ERROR";
  const where = ctx.repository === undefined ? ctx.registry : `${ctx.registry}/${ctx.repository}`;
  const said = registryCode === undefined ? "" : ` ${registryCode}${message ? `: ${message}` : ""}`;
  return new CudasealError(code, `${where}: cannot ${ctx.what}: HTTP ${res.status}${said}`, {
    hint:
      code === "REGISTRY_DENIED"
        ? "the credential lacks permission for this repository"
        : code === "REGISTRY_NOT_FOUND"
          ? "check the repository name and tag"
          : res.status === 429 || res.status >= 500
            ? "the registry is overloaded or failing; cudaseal retried with backoff"
            : undefined,
    details: {
      registry: ctx.registry,
      repository: ctx.repository,
      status: res.status,
      registryCode,
      url: redactUrl(ctx.url),
    },
  });
}

async function authError(
  client: RegistryClient,
  req: RegistryRequest,
  status: number,
): Promise<CudasealError> {
  const cred = await client.auth.credential().catch(() => undefined);
  const where = req.repository === undefined ? client.registry : `${client.registry}/${req.repository}`;
  return new CudasealError(
    "REGISTRY_AUTH_FAILED",
    `${where}: cannot ${req.what}: HTTP ${status} (${cred === undefined ? "no credential found" : `credential from ${cred.source} refused`})`,
    {
      hint:
        cred === undefined
          ? "log in: pass --username and --password-stdin, set CUDASEAL_REGISTRY_USERNAME/PASSWORD, or add the registry to your Docker config"
          : "check the username and password, and that the account may push or pull this repository",
      details: {
        registry: client.registry,
        repository: req.repository,
        status,
        credentialSource: cred?.source,
      },
    },
  );
}
