// Package URLs in the purl spec's canonical form, for Debian packages,
//
//   pkg:deb/debian/<name>@<version>?arch=<arch>&distro=debian-13[&upstream=<source>]
//
// apk packages (`pkg:apk/alpine/<name>@<version>?arch=<arch>`) and Python
// distributions (`pkg:pypi/<name>@<version>`, the name lower-cased with `_`
// as `-`, as the spec's pypi type requires).
//
// Name, version and qualifier values are percent-encoded, keeping only the
// unreserved characters (A-Z a-z 0-9 . - _ ~): an epoch's `:` becomes `%3A`
// and `+` becomes `%2B`. Qualifiers are sorted by key, as the spec requires.

/** The Debian release cudaseal builds from, as the `distro` qualifier spells it. */
export const DEBIAN_DISTRO = "debian-13";

export interface DebPurlInput {
  name: string;
  version: string;
  arch: string;
  /** Source package; becomes the `upstream` qualifier when it differs from the name. */
  source?: string;
  /** Source version; appended to `upstream` as `@version` when it differs from the version. */
  sourceVersion?: string;
  distro?: string;
  /** The purl namespace: the distribution's ID (`debian`, `ubuntu`). */
  namespace?: string;
}

/** The purl of one Debian binary package. */
export function debPurl(pkg: DebPurlInput): string {
  const qualifiers: [string, string][] = [
    ["arch", pkg.arch],
    ["distro", pkg.distro ?? DEBIAN_DISTRO],
  ];
  const upstream = upstreamOf(pkg);
  if (upstream !== undefined) qualifiers.push(["upstream", upstream]);
  qualifiers.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const query = qualifiers.map(([key, value]) => `${key}=${purlEncode(value)}`).join("&");
  return `pkg:deb/${purlEncode(pkg.namespace ?? "debian")}/${purlEncode(pkg.name)}@${purlEncode(pkg.version)}?${query}`;
}

function upstreamOf(pkg: DebPurlInput): string | undefined {
  const source = pkg.source ?? pkg.name;
  const sourceVersion = pkg.sourceVersion ?? pkg.version;
  if (sourceVersion !== pkg.version) return `${source}@${sourceVersion}`;
  if (source !== pkg.name) return source;
  return undefined;
}

const UNRESERVED = /[A-Za-z0-9._~-]/;

/** Percent-encode everything but the unreserved characters, as UTF-8, upper-case hex. */
export function purlEncode(text: string): string {
  let out = "";
  for (const ch of text) {
    if (UNRESERVED.test(ch)) {
      out += ch;
      continue;
    }
    for (const byte of new TextEncoder().encode(ch)) {
      out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    }
  }
  return out;
}

/** The purl of one apk package (Alpine, Wolfi): `pkg:apk/<distro id>/<name>@<version>?arch=<arch>`. */
export function apkPurl(pkg: { name: string; version: string; arch: string; namespace: string }): string {
  return `pkg:apk/${purlEncode(pkg.namespace)}/${purlEncode(pkg.name)}@${purlEncode(pkg.version)}?arch=${purlEncode(pkg.arch)}`;
}

/** The purl of one Python distribution: `pkg:pypi/<name>@<version>`, `Typing_Extensions` → `typing-extensions`. */
export function pypiPurl(pkg: { name: string; version: string }): string {
  return `pkg:pypi/${purlEncode(pkg.name.toLowerCase().replaceAll("_", "-"))}@${purlEncode(pkg.version)}`;
}

/** A package URL taken apart: type, namespace, name, version and qualifiers, each percent-decoded. */
export interface ParsedPurl {
  type: string;
  namespace?: string;
  name: string;
  version?: string;
  qualifiers: Record<string, string>;
}

/**
 * `text` taken apart as the purl spec reads it, or undefined when it is no
 * purl (an SBOM read back is hostile input: a malformed purl names nothing).
 * The subpath (`#…`) is dropped; nothing cudaseal matches on lives there.
 */
export function parsePurl(text: string): ParsedPurl | undefined {
  const m = /^pkg:([A-Za-z.+-][A-Za-z0-9.+-]*)\/([^?#]+?)(?:@([^?#@/]+))?(?:\?([^#]*))?(?:#.*)?$/.exec(text);
  if (!m) return undefined;
  const segments = m[2].split("/").filter((s) => s !== "");
  const last = segments.pop();
  if (last === undefined) return undefined;
  const decode = (s: string): string | undefined => {
    try {
      return decodeURIComponent(s);
    } catch {
      return undefined;
    }
  };
  const name = decode(last);
  const namespace = segments.length > 0 ? decode(segments.join("/")) : undefined;
  const version = m[3] === undefined ? undefined : decode(m[3]);
  if (name === undefined || name === "" || (m[3] !== undefined && version === undefined)) return undefined;
  if (segments.length > 0 && namespace === undefined) return undefined;
  const qualifiers: Record<string, string> = {};
  for (const pair of (m[4] ?? "").split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    if (eq <= 0) return undefined;
    const value = decode(pair.slice(eq + 1));
    if (value === undefined) return undefined;
    qualifiers[pair.slice(0, eq).toLowerCase()] = value;
  }
  return { type: m[1].toLowerCase(), namespace, name, version, qualifiers };
}
