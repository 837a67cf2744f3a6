// Where cudaseal keeps what it downloads and builds, unless --cache-dir says.

import { homedir } from "node:os";
import { join } from "node:path";

/** `$CUDASEAL_CACHE_DIR`, else `$XDG_CACHE_HOME/cudaseal`, else `~/.cache/cudaseal`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CUDASEAL_CACHE_DIR) return env.CUDASEAL_CACHE_DIR;
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg?.startsWith("/") ? xdg : join(homedir(), ".cache"), "cudaseal");
}
