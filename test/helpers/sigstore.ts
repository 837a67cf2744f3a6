// Local Sigstore stand-ins for keyless signing tests, on 127.0.0.1: Fulcio
// (a CA issuing ten-minute certificates with an embedded SCT from a CT log),
// Rekor (a transparency log answering with an inclusion proof, a signed
// checkpoint and a signed entry timestamp), and the trusted_root.json that
// trusts exactly their keys, so that a bundle they helped make verifies
// offline with `--trusted-root`. The CA, logs and their handlers are the
// Sigstore project's own test doubles (@sigstore/mock); the handlers are
// written for nock, so here they are served by a node:http server.
//
// @sigstore/mock's Fulcio does not check the OIDC token's signature: it
// decodes the JWT and puts the `sub` claim in the certificate as a URI SAN
// and the `iss` claim in Fulcio's issuer extensions. `identityToken()` makes
// such a token (unsigned). A GitHub Actions token endpoint stands in for
// the runner's (ACTIONS_ID_TOKEN_REQUEST_URL / _TOKEN).

import { createHash, generateKeyPairSync } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fulcioHandler, initializeCA, initializeCTLog, initializeTLog, rekorHandler } from "@sigstore/mock";
import { HashAlgorithm, PublicKeyDetails, TrustedRoot } from "@sigstore/protobuf-specs";

/** The workflow identity the default token claims, as GitHub Actions names one. */
export const TEST_SUBJECT =
  "https://github.com/cudaseal-test/demo/.github/workflows/release.yml@refs/heads/main";
export const TEST_ISSUER = "https://token.actions.test.invalid";

export interface SigstoreStandIns {
  /** Base URLs, for --fulcio-url and --rekor-url. */
  fulcioURL: string;
  rekorURL: string;
  /** A trusted_root.json (its JSON form) trusting these Fulcio, Rekor and CT log keys. */
  trustedRoot: unknown;
  /** Requests each service answered, in order. */
  requests: { fulcio: number; rekor: number };
  /** Stop answering Fulcio (the port stays taken, the connection is refused: nothing listens). */
  stopFulcio(): Promise<void>;
  stop(): Promise<void>;
}

/** An unsigned JWT with these claims over the defaults (iss, sub, aud sigstore, fresh iat and exp). */
export function identityToken(claims: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const payload = {
    iss: TEST_ISSUER,
    sub: TEST_SUBJECT,
    aud: "sigstore",
    iat: now,
    exp: now + 600,
    ...claims,
  };
  return `${part({ alg: "RS256", typ: "JWT" })}.${part(payload)}.${Buffer.from("not-a-signature").toString("base64url")}`;
}

/** Fulcio, Rekor and their trusted root, each service on its own free port of 127.0.0.1. */
export async function startSigstore(): Promise<SigstoreStandIns> {
  const keys = () => generateKeyPairSync("ec", { namedCurve: "P-256" });
  const ctlog = await initializeCTLog(keys());
  const ca = await initializeCA(keys(), ctlog);
  const requests = { fulcio: 0, rekor: 0 };
  const fulcio = fulcioHandler(ca);
  const fulcioServer = await serve(async (req, body) => {
    if (req.method !== "POST" || req.url !== fulcio.path) return { statusCode: 404, response: "not found" };
    requests.fulcio++;
    return fulcio.fn(body);
  });
  const fulcioURL = `http://127.0.0.1:${(fulcioServer.address() as AddressInfo).port}`;
  // The log's origin in its checkpoints is its URL's host, as Rekor's is.
  const rekorServer = await serve(async (req, body) => {
    if (req.method !== "POST" || req.url !== rekor.path) return { statusCode: 404, response: "not found" };
    requests.rekor++;
    return rekor.fn(asRekorStores(body));
  });
  const rekorURL = `http://127.0.0.1:${(rekorServer.address() as AddressInfo).port}`;
  const tlog = await initializeTLog(rekorURL, keys());
  const rekor = rekorHandler(tlog);

  // Valid from a minute ago: an entry's integrated time is whole seconds.
  const since = new Date(Date.now() - 60_000);
  // Without `operator` (newer than the trusted root cosign 2.5 reads, which refuses unknown fields).
  const trustedRoot = withoutOperators(
    TrustedRoot.toJSON({
      mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
      certificateAuthorities: [
        {
          subject: { organization: "sigstore.mock", commonName: "sigstore" },
          uri: fulcioURL,
          certChain: { certificates: [{ rawBytes: Buffer.from(ca.rootCertificate.buffer) }] },
          validFor: { start: since },
          operator: "sigstore.mock",
        },
      ],
      tlogs: [logInstance(rekorURL, tlog.publicKey, since)],
      ctlogs: [
        {
          ...logInstance("http://ctlog.invalid", ctlog.publicKey, since),
          logId: { keyId: Buffer.from(ctlog.logID.buffer) },
        },
      ],
      timestampAuthorities: [],
    }),
  );

  const close = (server: Server) =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return {
    fulcioURL,
    rekorURL,
    trustedRoot,
    requests,
    stopFulcio: () => close(fulcioServer),
    async stop() {
      await Promise.all([close(fulcioServer), close(rekorServer)]);
    },
  };
}

/**
 * The mock logs a proposed entry as it came; Rekor stores a `dsse` entry's
 * canonical form instead (the envelope's and payload's hashes and each
 * signature with its verifier), which is what a verifier compares a bundle
 * with. Other kinds are stored as proposed.
 */
function asRekorStores(body: string): string {
  let entry: {
    kind?: string;
    apiVersion?: string;
    spec?: { proposedContent?: { envelope: string; verifiers: string[] } };
  };
  try {
    entry = JSON.parse(body);
  } catch {
    return body;
  }
  const proposed = entry.spec?.proposedContent;
  if (entry.kind !== "dsse" || proposed === undefined) return body;
  const envelope = JSON.parse(proposed.envelope) as { payload: string; signatures: { sig: string }[] };
  const hex = (bytes: Buffer | string) => createHash("sha256").update(bytes).digest("hex");
  return JSON.stringify({
    kind: "dsse",
    apiVersion: entry.apiVersion,
    spec: {
      envelopeHash: { algorithm: "sha256", value: hex(proposed.envelope) },
      payloadHash: { algorithm: "sha256", value: hex(Buffer.from(envelope.payload, "base64")) },
      signatures: envelope.signatures.map((sig, i) => ({
        signature: sig.sig,
        verifier: proposed.verifiers[i] ?? proposed.verifiers[0],
      })),
    },
  });
}

function withoutOperators(root: unknown): unknown {
  return JSON.parse(JSON.stringify(root, (key, value) => (key === "operator" ? undefined : value)));
}

function logInstance(baseUrl: string, publicKey: Buffer, since: Date) {
  return {
    baseUrl,
    hashAlgorithm: HashAlgorithm.SHA2_256,
    publicKey: {
      rawBytes: publicKey,
      keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256,
      validFor: { start: since },
    },
    logId: { keyId: sha256(publicKey) },
    checkpointKeyId: undefined,
    operator: "sigstore.mock",
  };
}

function sha256(bytes: Buffer): Buffer {
  return createHash("sha256").update(bytes).digest();
}

type Answer = { statusCode: number; response: string | ArrayBufferView; contentType?: string };

/** A server on a free port of 127.0.0.1 answering each request's body (capped) with `answer`. */
async function serve(answer: (req: IncomingMessage, body: string) => Promise<Answer>): Promise<Server> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > 1 << 20) {
        res.writeHead(413).end();
        return;
      }
      chunks.push(chunk as Buffer);
    }
    const a = await answer(req, Buffer.concat(chunks).toString("utf8"));
    res.writeHead(a.statusCode, { "content-type": a.contentType ?? "text/plain" });
    res.end(typeof a.response === "string" ? a.response : Buffer.from(a.response.buffer));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

export interface GithubTokenEndpoint {
  /** ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN for a child's environment. */
  env: { ACTIONS_ID_TOKEN_REQUEST_URL: string; ACTIONS_ID_TOKEN_REQUEST_TOKEN: string };
  /** The audiences asked for, in order. */
  audiences: (string | null)[];
  stop(): Promise<void>;
}

/** The GitHub Actions runtime's token endpoint: answers `{"value": token}` to the right bearer token. */
export async function startGithubTokenEndpoint(token: string): Promise<GithubTokenEndpoint> {
  const bearer = "runtime-request-token";
  const audiences: (string | null)[] = [];
  const server = await serve(async (req) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method !== "GET" || url.pathname !== "/token") return { statusCode: 404, response: "not found" };
    if (req.headers.authorization !== `Bearer ${bearer}`) return { statusCode: 401, response: "bad token" };
    audiences.push(url.searchParams.get("audience"));
    return {
      statusCode: 200,
      response: JSON.stringify({ count: 1, value: token }),
      contentType: "application/json",
    };
  });
  const port = (server.address() as AddressInfo).port;
  return {
    env: {
      ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${port}/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: bearer,
    },
    audiences,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
