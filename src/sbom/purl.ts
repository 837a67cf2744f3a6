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
