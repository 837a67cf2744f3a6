// What apt calls a source: where a repository lives, which suites and
// components to read from it, and which keys must have signed it.

import { CudasealError } from "../errors.ts";
import type { AptPin } from "./pins.ts";
import type { SystemMirrors } from "./system-sources.ts";

export interface AptSource {
  /** Repository base URI without a trailing slash. */
  uri: string;
  /** Suites (`trixie`), or one flat-repository path ending in `/` (`./`, `debian12/x86_64/`). */
  suites: string[];
  /** Components; empty for a flat repository. */
  components: string[];
  /** Architectures to read; defaults to the build's architectures. */
  arches?: string[];
  /** Keys that must sign the repository: `debian` for the keys shipped with cudaseal, or key files (where the shipped `debian` and `nvidia` may also appear). */
  keyring: "debian" | string[];
  /** apt pin priority: the higher wins when several sources offer a package. Default 500. */
  priority: number;
  /** Priorities for the packages matching a glob, from this source (apt preferences). */
  pins?: AptPin[];
  /** Accept a Release whose Valid-Until has passed. */
  allowExpired?: boolean;
  /** Accept a Release older than one already seen for its suite. */
  allowRollback?: boolean;
  /** Make no request: read the suite from what the cache kept of it (readSources' `offline`). */
  offline?: boolean;
}

/** The Debian release cudaseal builds from unless told otherwise. */
export const DEFAULT_SUITE = "trixie";
export const DEFAULT_COMPONENTS = ["main", "contrib", "non-free"];
export const DEFAULT_ARCHES = ["amd64", "arm64"];

export interface DefaultSourceOptions {
  mirror?: string;
  securityMirror?: string;
  suite?: string;
  components?: string[];
  system?: SystemMirrors;
}

/**
 * Debian's archive and its security archive for one release, with mirrors
 * named by the user or, failing that, taken from the machine's apt setup.
 */
export function defaultSources(options: DefaultSourceOptions = {}): AptSource[] {
  const suite = options.suite ?? DEFAULT_SUITE;
  const components = options.components ?? DEFAULT_COMPONENTS;
  const mirror = options.mirror ?? options.system?.debian;
  const security = options.securityMirror ?? options.system?.security;
  if (!mirror) {
    throw new CudasealError("MIRROR_UNKNOWN", "no Debian mirror is configured", {
      hint:
        "name one with --mirror URL (and --security-mirror URL), or in the spec's sources; " +
        "cudaseal otherwise uses the Debian mirror from this machine's apt sources",
    });
  }
  const sources: AptSource[] = [
    {
      uri: trimSlash(mirror),
      suites: [suite, `${suite}-updates`],
      components,
      keyring: "debian",
      priority: 500,
    },
  ];
  if (security) {
    sources.push({
      uri: trimSlash(security),
      suites: [`${suite}-security`],
      components,
      keyring: "debian",
      priority: 500,
    });
  }
  return sources;
}

export function trimSlash(uri: string): string {
  return uri.replace(/\/+$/, "");
}

/** A flat repository has no dists/ tree: its one "suite" is a path ending in a slash. */
export function isFlatSuite(suite: string): boolean {
  return suite.endsWith("/");
}

/** The URL of the directory holding a suite's InRelease. */
export function suiteBaseUrl(uri: string, suite: string): string {
  if (isFlatSuite(suite)) {
    const path = suite.replace(/^\.?\/+/, "").replace(/\/+$/, "");
    return path ? `${trimSlash(uri)}/${path}` : trimSlash(uri);
  }
  return `${trimSlash(uri)}/dists/${suite}`;
}
