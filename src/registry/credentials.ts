// Where registry credentials come from, in the order Docker-compatible
// clients look, first match wins:
//
//   1. given by the caller (`--username` with `--password-stdin`), for the
//      one registry the caller names: a copy between two registries never
//      hands the destination's password to the source;
//   2. env CUDASEAL_REGISTRY_USERNAME and CUDASEAL_REGISTRY_PASSWORD, for
//      the registry CUDASEAL_REGISTRY_HOST names when it is set;
//   3. the containers auth file named by REGISTRY_AUTH_FILE (podman, skopeo);
//   4. Docker's config.json in $DOCKER_CONFIG, else ~/.docker:
//      `credHelpers[host]`, then `auths[host]`, then `credsStore`.
//
// Helpers are run as Docker runs them: `docker-credential-NAME get` with the
// server on stdin and `{ServerURL, Username, Secret}` on stdout. Nothing here
// is ever printed; a credential's `source` says where it came from, for
// messages, without its value.

import { execFile } from "node:child_process";
import { homedir } from "node:os";
import { join } from "node:path";
import { CudasealError } from "../errors.ts";
import { readRegularFile } from "../util/read-regular-file.ts";

export interface Credential {
  username: string;
  password: string;
  /**
   * An OAuth2 refresh token (`identitytoken` in an auth file, or a helper's
   * `Username: <token>`): traded at the token realm by POST for access tokens.
   */
  identityToken?: string;
  /** Where it came from (`env`, `DOCKER_CONFIG auths`, `docker-credential-pass`), never the secret. */
  source: string;
}

export interface CredentialOptions {
  /** From the command line; only for `registry` (`host[:port]`) when that is given. */
  explicit?: { username: string; password: string; registry?: string };
  /** The environment to read (default process.env); tests pass their own. */
  env?: NodeJS.ProcessEnv;
}

interface AuthFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** The credential for `registry` (`host[:port]`), or undefined when none is configured. */
export async function findCredential(
  registry: string,
  options: CredentialOptions = {},
): Promise<Credential | undefined> {
  const explicit = options.explicit;
  if (
    explicit !== undefined &&
    (explicit.registry === undefined || sameServer(explicit.registry, registry))
  ) {
    return { username: explicit.username, password: explicit.password, source: "command line" };
  }
  const env = options.env ?? process.env;
  const user = env.CUDASEAL_REGISTRY_USERNAME;
  const pass = env.CUDASEAL_REGISTRY_PASSWORD;
  const envHost = env.CUDASEAL_REGISTRY_HOST;
  if (
    user !== undefined &&
    user !== "" &&
    pass !== undefined &&
    (!envHost || sameServer(envHost, registry))
  ) {
    return { username: user, password: pass, source: "CUDASEAL_REGISTRY_USERNAME/PASSWORD" };
  }
  const files: { path: string; label: string }[] = [];
  if (env.REGISTRY_AUTH_FILE) files.push({ path: env.REGISTRY_AUTH_FILE, label: "REGISTRY_AUTH_FILE" });
  const dockerDir = env.DOCKER_CONFIG || join(env.HOME || homedir(), ".docker");
  files.push({ path: join(dockerDir, "config.json"), label: "docker config.json" });
  for (const file of files) {
    const config = await readAuthFile(file.path, file.label);
    if (config === undefined) continue;
    const found = await fromAuthFile(config, registry, file.label, env);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** An auth file holds a few credentials; one of many MiB is not one. */
const MAX_AUTH_FILE = 4 * 1024 * 1024;

async function readAuthFile(path: string, label: string): Promise<AuthFile | undefined> {
  let text: string;
  try {
    text = (await readRegularFile(path, { what: label, max: MAX_AUTH_FILE })).toString("utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    if (err instanceof CudasealError) throw err;
    throw new CudasealError("REGISTRY_CREDENTIALS", `cannot read ${label} ${path}`, { cause: err });
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed === null || typeof parsed !== "object") throw new Error("not an object");
    return parsed as AuthFile;
  } catch (err) {
    throw new CudasealError("REGISTRY_CREDENTIALS", `${label} ${path} is not a JSON object`, {
      cause: err,
      hint: "fix or remove the file",
    });
  }
}

async function fromAuthFile(
  config: AuthFile,
  registry: string,
  label: string,
  env: NodeJS.ProcessEnv,
): Promise<Credential | undefined> {
  const helper = lookup(config.credHelpers, registry);
  if (typeof helper === "string" && helper !== "") return runHelper(helper, registry, env);
  const entry = lookup(config.auths, registry);
  if (entry !== undefined && entry !== null && typeof entry === "object") {
    if (typeof entry.identitytoken === "string" && entry.identitytoken !== "")
      return { username: "", password: "", identityToken: entry.identitytoken, source: `${label} auths` };
    if (typeof entry.auth === "string" && entry.auth !== "") {
      const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon <= 0)
        throw new CudasealError(
          "REGISTRY_CREDENTIALS",
          `${label}: the auth entry for ${registry} is malformed`,
          {
            hint: "it must be base64 of user:password; log in again",
          },
        );
      return {
        username: decoded.slice(0, colon),
        password: decoded.slice(colon + 1),
        source: `${label} auths`,
      };
    }
    if (typeof entry.username === "string" && typeof entry.password === "string")
      return { username: entry.username, password: entry.password, source: `${label} auths` };
  }
  if (typeof config.credsStore === "string" && config.credsStore !== "")
    return runHelper(config.credsStore, registry, env);
  return undefined;
}

/** The entry for `registry` in a map whose keys may be `host`, `https://host` or `https://host/v1/`. */
function lookup<T>(map: Record<string, T> | undefined, registry: string): T | undefined {
  if (map === undefined || map === null || typeof map !== "object") return undefined;
  if (Object.hasOwn(map, registry)) return map[registry];
  for (const key of Object.keys(map)) {
    if (normalizeServer(key) === registry) return map[key];
  }
  return undefined;
}

/** True when two ways of writing a registry (`https://host/v1/`, `host`) name the same one. */
function sameServer(a: string, b: string): boolean {
  return normalizeServer(a) === normalizeServer(b);
}

/** `https://host:port/v1/` → `host:port`. */
export function normalizeServer(server: string): string {
  return server.replace(/^[a-z]+:\/\//i, "").replace(/\/.*$/, "");
}

/** Ask `docker-credential-NAME` for the credential of `registry`; undefined when it has none. */
async function runHelper(
  name: string,
  registry: string,
  env: NodeJS.ProcessEnv,
): Promise<Credential | undefined> {
  if (!/^[A-Za-z0-9._-]+$/.test(name))
    throw new CudasealError(
      "REGISTRY_CREDENTIALS",
      `credential helper name ${JSON.stringify(name)} is not valid`,
    );
  const program = `docker-credential-${name}`;
  const { stdout, code, stderr } = await new Promise<{ stdout: string; stderr: string; code: number }>(
    (resolve, reject) => {
      const child = execFile(
        program,
        ["get"],
        { env, timeout: 60_000, maxBuffer: 1024 * 1024 },
        (err, out, errOut) => {
          if (err && (err as NodeJS.ErrnoException).code === "ENOENT") {
            reject(
              new CudasealError("REGISTRY_CREDENTIALS", `credential helper ${program} is not installed`, {
                hint: `install it, or remove ${name} from credHelpers/credsStore in the Docker config`,
                cause: err,
              }),
            );
            return;
          }
          const exit = err ? (typeof err.code === "number" ? err.code : 1) : 0;
          resolve({ stdout: String(out), stderr: String(errOut), code: exit });
        },
      );
      child.stdin?.end(registry);
    },
  );
  if (code !== 0) {
    // Docker's helpers say this when they hold nothing for the server: not an error.
    if (/credentials not found/i.test(stdout + stderr)) return undefined;
    throw new CudasealError("REGISTRY_CREDENTIALS", `${program} get failed (exit ${code}) for ${registry}`, {
      hint: "run it by hand to see why: echo HOST | docker-credential-NAME get",
    });
  }
  let answer: { Username?: unknown; Secret?: unknown };
  try {
    answer = JSON.parse(stdout) as typeof answer;
  } catch (err) {
    throw new CudasealError("REGISTRY_CREDENTIALS", `${program} get did not print JSON`, { cause: err });
  }
  if (typeof answer.Username !== "string" || typeof answer.Secret !== "string")
    throw new CudasealError("REGISTRY_CREDENTIALS", `${program} get printed no Username and Secret`);
  // Docker's convention: this user name means the secret is an identity (refresh) token.
  if (answer.Username === "<token>")
    return { username: "", password: "", identityToken: answer.Secret, source: program };
  return { username: answer.Username, password: answer.Secret, source: program };
}
