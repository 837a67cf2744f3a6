// Credentials for Python package indexes, as pip and uv find them:
//
//   1. the user info of the URL itself (`https://user:token@host/simple/`);
//   2. the user info of a configured index URL on the same origin (so a
//      file served by the index's host gets the index's credentials, and a
//      file on another host, such as a CDN, gets none);
//   3. CUDASEAL_INDEX_USERNAME and CUDASEAL_INDEX_PASSWORD, as for
//      registries: for the host CUDASEAL_INDEX_HOST names, or when it is
//      unset for the configured indexes' origins (never for another host,
//      such as a CDN the index sends files to);
//   4. a netrc file: $NETRC, else ~/.netrc (`machine HOST login U password
//      P`, or `default`).
//
// URLs are always requested without their user info (fetch refuses it);
// credentials travel in an Authorization header only, and nothing here ever
// puts them in a message: errors name URLs through redactUrl.

import { homedir } from "node:os";
import { join } from "node:path";
import { CudasealError } from "../errors.ts";
import { readRegularFile } from "../util/read-regular-file.ts";

export interface IndexAuthOptions {
  /** The configured index URLs, which may carry user info for their origins. */
  indexes?: string[];
  /** A netrc file to read; default $NETRC, else ~/.netrc; false reads none. */
  netrc?: string | false;
  /** The environment for NETRC and HOME (default process.env). */
  env?: NodeJS.ProcessEnv;
}

interface Credential {
  username: string;
  password: string;
}

/** `url` without user info, and the credential it carried. */
export function splitCredentials(url: string): { url: string; credential?: Credential } {
  const u = new URL(url);
  if (u.username === "" && u.password === "") return { url: u.href };
  const credential = { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
  u.username = "";
  u.password = "";
  return { url: u.href, credential };
}

/** A netrc holds a few lines; a large one is not one. */
const MAX_NETRC = 1024 * 1024;

/** The netrc entry for `host` (or its `default`), undefined when there is none or no file. */
export async function netrcCredential(
  host: string,
  options: IndexAuthOptions,
): Promise<Credential | undefined> {
  if (options.netrc === false) return undefined;
  const env = options.env ?? process.env;
  const path = options.netrc ?? env.NETRC ?? join(env.HOME || homedir(), ".netrc");
  let text: string;
  try {
    text = (await readRegularFile(path, { what: "netrc", max: MAX_NETRC })).toString("utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    if (err instanceof CudasealError) throw err;
    throw new CudasealError("PY_INDEX_FAILED", `cannot read the netrc file ${path}`, { cause: err });
  }
  return parseNetrc(text, host);
}

/** The credential netrc `text` gives `host`: its `machine` entry, else `default`. */
export function parseNetrc(text: string, host: string): Credential | undefined {
  const lines = text.split(/\r?\n/);
  const tokens: string[] = [];
  // A macdef's body runs to the next blank line and is no part of the entries.
  for (let i = 0; i < lines.length; i++) {
    const words = (lines[i] as string)
      .trim()
      .split(/\s+/)
      .filter((w) => w !== "");
    const macdef = words.indexOf("macdef");
    if (macdef >= 0) {
      tokens.push(...words.slice(0, macdef));
      while (i + 1 < lines.length && (lines[i + 1] as string).trim() !== "") i++;
      continue;
    }
    tokens.push(...words);
  }
  let found: Credential | undefined;
  let fallback: Credential | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t !== "machine" && t !== "default") continue;
    const machine = t === "machine" ? tokens[++i] : undefined;
    const entry: Partial<Credential> = {};
    while (i + 1 < tokens.length && tokens[i + 1] !== "machine" && tokens[i + 1] !== "default") {
      const key = tokens[++i];
      const value = tokens[++i];
      if (key === "login") entry.username = value;
      else if (key === "password") entry.password = value;
    }
    const cred =
      entry.username !== undefined || entry.password !== undefined
        ? { username: entry.username ?? "", password: entry.password ?? "" }
        : undefined;
    if (machine !== undefined && machine.toLowerCase() === host.toLowerCase() && found === undefined)
      found = cred;
    if (t === "default" && fallback === undefined) fallback = cred;
  }
  return found ?? fallback;
}

/** CUDASEAL_INDEX_USERNAME/PASSWORD, when they are meant for `origin`. */
function envCredential(origin: URL, options: IndexAuthOptions): Credential | undefined {
  const env = options.env ?? process.env;
  const username = env.CUDASEAL_INDEX_USERNAME;
  const password = env.CUDASEAL_INDEX_PASSWORD;
  if (!username || password === undefined) return undefined;
  const host = env.CUDASEAL_INDEX_HOST;
  const meant = host
    ? host.toLowerCase() === origin.host.toLowerCase() || host.toLowerCase() === origin.hostname.toLowerCase()
    : (options.indexes ?? []).some((i) => {
        try {
          return new URL(i).origin === origin.origin;
        } catch {
          return false;
        }
      });
  return meant ? { username, password } : undefined;
}

/**
 * The request headers for `url` (which may carry user info itself): an
 * Authorization header when a credential applies, else none.
 */
export async function authHeaders(
  url: string,
  options: IndexAuthOptions = {},
): Promise<Record<string, string>> {
  const own = splitCredentials(url);
  const origin = new URL(own.url);
  let credential = own.credential;
  for (const index of options.indexes ?? []) {
    if (credential !== undefined) break;
    const configured = splitCredentials(index);
    if (configured.credential !== undefined && new URL(configured.url).origin === origin.origin)
      credential = configured.credential;
  }
  credential ??= envCredential(origin, options);
  credential ??= await netrcCredential(origin.hostname, options);
  if (credential === undefined) return {};
  return {
    authorization: `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString("base64")}`,
  };
}
