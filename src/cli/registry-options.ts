// The flags every command that talks to a registry takes, turned into the
// registry client's options: `--insecure HOST` (repeatable), `--username`
// with `--password-stdin`, and the copy tuning flags.

import { CudasealError } from "../errors.ts";
import type { RegistryClientOptions } from "../registry/index.ts";
import { type Flags, type FlagValues, listFlag, stringFlag } from "./command.ts";

export const REGISTRY_FLAGS: Flags = {
  insecure: { type: "string", multiple: true },
  username: { type: "string" },
  "password-stdin": { type: "boolean" },
};

export const REGISTRY_FLAGS_HELP = `
Registry options:
  --insecure HOST         allow plain HTTP to HOST (host[:port]), repeatable;
                          127.0.0.1, localhost and [::1] are always allowed.
                          HTTPS is tried first; certificates are always checked
  --username USER         log in as USER, the password read from stdin; only
                          to the registry written to (for pull: read from)
  --password-stdin        read the password from stdin (with --username)
Credentials otherwise come from CUDASEAL_REGISTRY_USERNAME/PASSWORD (for the
host CUDASEAL_REGISTRY_HOST names, when set; else for every registry),
REGISTRY_AUTH_FILE, or Docker's config.json ($DOCKER_CONFIG or ~/.docker),
its credHelpers and credsStore included (docs/registry.md).`;

/**
 * Registry client options from the flags; reads stdin when --password-stdin
 * is given. The password is for `forRegistry` (`host[:port]`) alone, the
 * registry the command writes to or, for a pull, reads from.
 */
export async function registryOptionsFrom(
  flags: FlagValues,
  forRegistry?: string,
): Promise<RegistryClientOptions> {
  const username = stringFlag(flags, "username");
  const fromStdin = flags["password-stdin"] === true;
  if ((username === undefined) !== !fromStdin)
    throw new CudasealError("USAGE", "--username and --password-stdin go together", {
      hint: 'echo "$PASSWORD" | cudaseal push … --username USER --password-stdin',
    });
  const options: RegistryClientOptions = { insecure: listFlag(flags, "insecure") ?? [] };
  if (username !== undefined) {
    const password = (await readStdin()).replace(/\r?\n$/, "");
    if (password === "") throw new CudasealError("USAGE", "--password-stdin read an empty password");
    options.credentials = {
      explicit:
        forRegistry === undefined ? { username, password } : { username, password, registry: forRegistry },
    };
  }
  return options;
}

/** A password is short: stdin that goes on (a device, a file piped by mistake) is refused, not held. */
const MAX_PASSWORD_BYTES = 64 * 1024;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > MAX_PASSWORD_BYTES)
      throw new CudasealError(
        "INPUT_TOO_LARGE",
        `--password-stdin read more than ${MAX_PASSWORD_BYTES} bytes`,
        {
          hint: 'pipe the password alone: echo "$PASSWORD" | cudaseal … --password-stdin',
        },
      );
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** `--chunk-size` in bytes (a plain number, or with K/M/G). */
export function chunkSizeFrom(flags: FlagValues): number | undefined {
  const text = stringFlag(flags, "chunk-size");
  if (text === undefined) return undefined;
  const m = /^(\d+)([KMG]i?B?)?$/i.exec(text.trim());
  if (!m)
    throw new CudasealError("USAGE", `--chunk-size ${text} is not a size`, { hint: "e.g. 16M or 1048576" });
  const unit = (m[2] ?? "").toUpperCase()[0];
  const scale = unit === "K" ? 1024 : unit === "M" ? 1024 ** 2 : unit === "G" ? 1024 ** 3 : 1;
  const n = Number(m[1]) * scale;
  if (n < 1) throw new CudasealError("USAGE", "--chunk-size must be at least 1 byte");
  return n;
}

/** `--jobs N`: blobs in flight at once. */
export function jobsFrom(flags: FlagValues): number | undefined {
  const text = stringFlag(flags, "jobs");
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new CudasealError("USAGE", "--jobs must be 1 to 64");
  return n;
}
