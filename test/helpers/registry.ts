// A real registry for tests: the CNCF distribution registry (Debian's
// `docker-registry`) on a free port of 127.0.0.1, filesystem storage in a
// temporary directory, in one of three auth modes:
//
// - "none":  anonymous push and pull.
// - "basic": htpasswd (bcrypt, made by `htpasswd -nbB`).
// - "token": the Docker token flow. The registry answers 401 with a Bearer
//   challenge naming a realm served here by a tiny token server, which checks
//   basic credentials and issues RS256 JWTs signed by a key whose self-signed
//   certificate is the registry's `rootcertbundle` (the token names its
//   signer by `x5c`). Every token request is recorded, so tests can check
//   scopes and caching.
//
// With `tls`, it serves HTTPS with a self-signed certificate for 127.0.0.1
// made by openssl (`caFile`, for NODE_EXTRA_CA_CERTS).
//
// stop() ends the registry, the token server and removes the directory; a
// process exit does the same for any left running.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createSign, randomBytes, randomUUID } from "node:crypto";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type RegistryAuth = "none" | "basic" | "token";

export interface TokenRequest {
  /** The `scope` parameters asked for. */
  scopes: string[];
  service: string | null;
  /** The user who authenticated, or undefined for an anonymous request. */
  user?: string;
}

export interface TestRegistry {
  /** `127.0.0.1:PORT`, for references such as `127.0.0.1:PORT/repo:tag`. */
  host: string;
  /** Credentials that work, for "basic" and "token". */
  username?: string;
  password?: string;
  /** The registry's storage root (docker/registry/v2/... below it). */
  storage: string;
  /** Token requests seen so far ("token" only). */
  tokenRequests: TokenRequest[];
  /** The registry's log file, for debugging a failing test. */
  log: string;
  /** With `tls`: the certificate to trust (NODE_EXTRA_CA_CERTS). */
  caFile?: string;
  stop(): Promise<void>;
}

export interface StartRegistryOptions {
  auth?: RegistryAuth;
  /** Serve HTTPS with a self-signed certificate for 127.0.0.1 (its PEM path is `caFile`). */
  tls?: boolean;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Start a registry and wait until `/v2/` answers. */
export async function startRegistry(options: StartRegistryOptions = {}): Promise<TestRegistry> {
  const auth = options.auth ?? "none";
  const dir = mkdtempSync(join(tmpdir(), "cudaseal-registry-"));
  const storage = join(dir, "storage");
  const username = auth === "none" ? undefined : "tester";
  const password = auth === "none" ? undefined : `pw-${randomBytes(8).toString("hex")}`;
  const tokenRequests: TokenRequest[] = [];
  let tokenServer: Server | undefined;

  let authConfig = "";
  if (auth === "basic") {
    const line = execFileSync("htpasswd", ["-nbB", username!, password!], { encoding: "utf8" }).trim();
    writeFileSync(join(dir, "htpasswd"), `${line}\n`);
    authConfig = `auth:\n  htpasswd:\n    realm: cudaseal-test\n    path: ${join(dir, "htpasswd")}\n`;
  } else if (auth === "token") {
    const signer = makeSigner(dir);
    tokenServer = await startTokenServer(signer, username!, password!, tokenRequests);
    const realm = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/token`;
    authConfig =
      `auth:\n  token:\n    realm: ${realm}\n    service: ${SERVICE}\n    issuer: ${ISSUER}\n` +
      `    rootcertbundle: ${signer.certPath}\n`;
  }

  let tlsConfig = "";
  let caFile: string | undefined;
  if (options.tls) {
    caFile = join(dir, "registry.crt");
    const keyFile = join(dir, "registry.key");
    selfSignedCert(keyFile, caFile, "/CN=127.0.0.1", ["-addext", "subjectAltName=IP:127.0.0.1"]);
    tlsConfig = `  tls:\n    certificate: ${caFile}\n    key: ${keyFile}\n`;
  }

  const port = await freePort();
  const config = join(dir, "config.yml");
  writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\n` +
      `storage:\n  filesystem:\n    rootdirectory: ${storage}\n  delete:\n    enabled: true\n` +
      `  maintenance:\n    uploadpurging:\n      enabled: false\n` +
      `http:\n  addr: 127.0.0.1:${port}\n  secret: ${randomBytes(16).toString("hex")}\n` +
      tlsConfig +
      authConfig,
  );
  const log = join(dir, "registry.log");
  const fd = openSync(log, "a");
  const child = spawn("docker-registry", ["serve", config], { stdio: ["ignore", fd, fd] });
  closeSync(fd);
  running.add(child);
  let exited = false;
  child.once("exit", () => {
    exited = true;
    running.delete(child);
  });

  const host = `127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (!exited) {
      const gone = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await gone;
    }
    if (tokenServer !== undefined) await new Promise((resolve) => tokenServer!.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 15_000;
  for (;;) {
    if (exited) {
      const text = readFileSync(log, "utf8");
      await stop();
      throw new Error(`docker-registry exited before answering:\n${text}`);
    }
    try {
      if (options.tls) {
        // Node's fetch would refuse the self-signed certificate: a TCP connect says it listens.
        await new Promise<void>((resolve, reject) => {
          const socket = connect(port, "127.0.0.1", () => {
            socket.end();
            resolve();
          });
          socket.once("error", reject);
        });
        break;
      }
      const res = await fetch(`http://${host}/v2/`);
      await res.arrayBuffer();
      if (res.status === 200 || res.status === 401) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not answer on ${host} within 15 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { host, username, password, storage, tokenRequests, log, caFile, stop };
}

const SERVICE = "cudaseal-test-registry";
const ISSUER = "cudaseal-test-issuer";

interface Signer {
  keyPem: string;
  certPath: string;
  certDer: Buffer;
}

/** An RSA key and its self-signed certificate, made by openssl: for the token issuer and for TLS. */
function selfSignedCert(keyPath: string, certPath: string, subject: string, extra: string[] = []): void {
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      keyPath,
      "-out",
      certPath,
      "-days",
      "2",
      "-subj",
      subject,
      ...extra,
    ],
    { stdio: "ignore" },
  );
}

/** The token issuer's key and certificate. */
function makeSigner(dir: string): Signer {
  const keyPath = join(dir, "token.key");
  const certPath = join(dir, "token.crt");
  selfSignedCert(keyPath, certPath, "/CN=cudaseal test token issuer");
  const pem = readFileSync(certPath, "utf8");
  const b64 = pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
  return { keyPem: readFileSync(keyPath, "utf8"), certPath, certDer: Buffer.from(b64, "base64") };
}

/** The token endpoint: checks basic credentials, grants every scope asked for. */
function startTokenServer(
  signer: Signer,
  username: string,
  password: string,
  requests: TokenRequest[],
): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://token.invalid");
    const header = req.headers.authorization ?? "";
    let user: string | undefined;
    if (header.startsWith("Basic ")) {
      const [u, ...rest] = Buffer.from(header.slice(6), "base64").toString("utf8").split(":");
      if (u !== username || rest.join(":") !== password) {
        res.writeHead(401, { "content-type": "application/json" });
        res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "bad credentials" }] }));
        return;
      }
      user = u;
    }
    const scopes = url.searchParams.getAll("scope");
    requests.push({ scopes, service: url.searchParams.get("service"), user });
    // Anonymous callers get a token with no access, as real token servers do.
    const access = user === undefined ? [] : scopes.flatMap(parseScope);
    const token = signJwt(signer, {
      iss: ISSUER,
      sub: user ?? "",
      aud: url.searchParams.get("service") ?? SERVICE,
      exp: Math.floor(Date.now() / 1000) + 300,
      nbf: Math.floor(Date.now() / 1000) - 10,
      iat: Math.floor(Date.now() / 1000),
      jti: randomUUID(),
      access,
    });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ token, access_token: token, expires_in: 300 }));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/** `repository:name:pull,push` → a JWT access entry. */
function parseScope(scope: string): { type: string; name: string; actions: string[] }[] {
  const parts = scope.split(":");
  if (parts.length < 3) return [];
  const actions = parts.pop()!.split(",");
  const type = parts.shift()!;
  return [{ type, name: parts.join(":"), actions }];
}

function signJwt(signer: Signer, claims: Record<string, unknown>): string {
  const header = { typ: "JWT", alg: "RS256", x5c: [signer.certDer.toString("base64")] };
  const enc = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
  const body = `${enc(header)}.${enc(claims)}`;
  const signature = createSign("sha256").update(body).sign(signer.keyPem).toString("base64url");
  return `${body}.${signature}`;
}

/** A port free on 127.0.0.1 right now (the registry binds it a moment later). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
