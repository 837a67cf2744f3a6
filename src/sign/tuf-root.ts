// The trusted root when none is named: Sigstore's TUF repository's
// `trusted_root.json` target, fetched and verified by @sigstore/tuf (root
// rotation, signature thresholds, expiry, the target's length and hash), with
// its metadata kept in a cache folder so that later runs need no network
// while the metadata is unexpired. A mirror that cannot be reached is not an
// error: the cached TUF root is used, then the root shipped with cudaseal,
// and the caller is told which (the library never prints). A mirror that
// answers with something TUF refuses (a bad signature, a hash mismatch,
// expired or rolled-back metadata) is an attack or a broken mirror and is
// refused with TRUSTED_ROOT_INVALID, never silently replaced.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { getTrustedRoot } from "@sigstore/tuf";
import { CudasealError } from "../errors.ts";
import { type LoadedTrustedRoot, loadTrustedRoot, trustMaterialOf } from "./trusted-root.ts";

/** Sigstore's public TUF repository, whose initial root @sigstore/tuf embeds. */
export const DEFAULT_TUF_MIRROR = "https://tuf-repo-cdn.sigstore.dev";

/** How long one metadata or target request may wait, and how often it is retried. */
const FETCH_TIMEOUT_MS = 5000;
const FETCH_RETRIES = 1;

export interface TufRootOptions {
  /** The folder the TUF metadata and targets are cached in (one subfolder per mirror). */
  cachePath: string;
  /** The TUF repository's base URL; default DEFAULT_TUF_MIRROR. */
  mirrorURL?: string;
  /** The mirror's initial root.json (needed for a mirror other than the public one, on first use). */
  rootPath?: string;
  /** Use only what is cached, then the shipped root: no network. */
  offline?: boolean;
}

/** A trusted root, where it came from, and, when it is a fallback, why (one line for a warning). */
export interface ResolvedTrustedRoot extends LoadedTrustedRoot {
  warning?: string;
}

// tuf-js's (and @tufjs/models') refusals: what a mirror said was checked and
// found wrong, as opposed to the mirror not answering.
const REFUSALS = new Set([
  "BadVersionError",
  "EqualVersionError",
  "ExpiredMetadataError",
  "UnsignedMetadataError",
  "LengthOrHashMismatchError",
  "DownloadLengthMismatchError",
  "ValueError",
]);

/**
 * The trusted root from the TUF mirror (source "tuf:URL"), else the cached
 * one (source "tuf-cache:URL", with a warning), else the shipped public-good
 * root (source "public-good", with a warning). Offline, the network is skipped.
 */
export async function tufTrustedRoot(options: TufRootOptions): Promise<ResolvedTrustedRoot> {
  const mirrorURL = (options.mirrorURL ?? DEFAULT_TUF_MIRROR).replace(/\/+$/, "");
  checkMirror(mirrorURL);
  let failure = "offline";
  if (!options.offline) {
    try {
      const root = await fetchRoot(options, mirrorURL, false);
      return { root, source: `tuf:${mirrorURL}` };
    } catch (err) {
      const refusal = refusalIn(err);
      if (refusal !== undefined || err instanceof CudasealError) {
        throw err instanceof CudasealError
          ? err
          : new CudasealError(
              "TRUSTED_ROOT_INVALID",
              `the TUF repository ${mirrorURL} served metadata or a trusted root that TUF refuses: ${refusal}`,
              {
                cause: err,
                hint: "the mirror is compromised or broken; pass --trusted-root FILE, or --offline to use the cache",
              },
            );
      }
      failure = `the TUF repository ${mirrorURL} could not be reached (${messageOf(err)})`;
    }
  }
  if (await cacheUsable(options.cachePath, mirrorURL)) {
    try {
      const root = await fetchRoot(options, mirrorURL, true);
      return {
        root,
        source: `tuf-cache:${mirrorURL}`,
        ...(options.offline ? {} : { warning: `${failure}: using the trusted root cached from it` }),
      };
    } catch {
      // A cache that does not verify is no better than none: the shipped root follows.
    }
  }
  const shipped = await loadTrustedRoot();
  return {
    ...shipped,
    warning: `${failure === "offline" ? "offline with no unexpired TUF cache" : failure}: using the public-good trusted root shipped with cudaseal, which misses any key rotated since`,
  };
}

async function fetchRoot(options: TufRootOptions, mirrorURL: string, fromCache: boolean): Promise<unknown> {
  const root = await getTrustedRoot({
    cachePath: options.cachePath,
    mirrorURL,
    ...(options.rootPath !== undefined ? { rootPath: options.rootPath } : {}),
    forceCache: fromCache,
    timeout: fromCache ? 1 : FETCH_TIMEOUT_MS,
    retry: fromCache ? { retries: 0 } : { retries: FETCH_RETRIES },
  });
  // @sigstore/tuf parses the target into protobuf types; back to the JSON
  // form every other trusted root has, and checked as one.
  const json = JSON.parse(JSON.stringify(TrustedRoot.toJSON(root)));
  trustMaterialOf(json, `the trusted root from ${mirrorURL}`);
  return json;
}

/**
 * Whether the cache for `mirrorURL` holds a timestamp, snapshot and targets
 * that are all unexpired, and a trusted_root.json target: only then can a
 * cache-only run succeed without reaching for the network.
 */
async function cacheUsable(cachePath: string, mirrorURL: string): Promise<boolean> {
  const url = new URL(mirrorURL);
  const dir = join(cachePath, encodeURIComponent(url.host + url.pathname.replace(/\/$/, "")));
  const now = Date.now();
  for (const name of ["root.json", "timestamp.json", "snapshot.json", "targets.json"]) {
    try {
      const text = await readFile(join(dir, name), "utf8");
      if (text.length > 8 * 1024 * 1024) return false;
      const expires = Date.parse(
        (JSON.parse(text) as { signed?: { expires?: string } }).signed?.expires ?? "",
      );
      if (!(expires > now)) return false;
    } catch {
      return false;
    }
  }
  try {
    await readFile(join(dir, "targets", "trusted_root.json"));
    return true;
  } catch {
    return false;
  }
}

function checkMirror(mirrorURL: string): void {
  let url: URL;
  try {
    url = new URL(mirrorURL);
  } catch (err) {
    throw new CudasealError("USAGE", `the TUF mirror ${JSON.stringify(mirrorURL)} is not a URL`, {
      cause: err,
    });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new CudasealError("USAGE", `the TUF mirror ${mirrorURL} is not an http(s) URL`);
  }
}

function refusalIn(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (REFUSALS.has(e.constructor.name)) return `${e.constructor.name}: ${e.message}`;
  }
  return undefined;
}

function messageOf(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    parts.push(e.message);
  }
  return parts.join(": ") || String(err);
}
