// Reading an SBOM back: the packages an SPDX 2.3 or CycloneDX 1.x JSON
// document lists, by their package URLs, so an image can be rescanned from
// the SBOM it carries instead of its layers. Debian packages come from
// `pkg:deb/…` purls (name, version, `arch`, the `upstream` source and source
// version, and the `distro` qualifier naming the release), Python
// distributions from `pkg:pypi/…`; any other purl is counted and skipped.
// Works for cudaseal's own documents and for other tools' that write purls
// the same way (syft among them).
//
// The document is hostile input: the caller caps its size and checks its
// digest; here every field is type-checked, a package's name and version
// held to its ecosystem's grammar, and anything that is not a document of a
// known shape is SBOM_INVALID.

import { CudasealError } from "../errors.ts";
import type { InstalledPackage } from "../source/packages.ts";
import type { Distro } from "./model.ts";
import { parsePurl } from "./purl.ts";

/** What an SBOM says an image holds. */
export interface SbomInventory {
  format: "spdx" | "cyclonedx";
  /** The image digest the document says it describes (cudaseal and syft record it), when it says. */
  describes?: string;
  /** Debian packages, one per name and architecture. */
  packages: InstalledPackage[];
  /** Python distributions, one per name and version. */
  python: { name: string; version: string }[];
  /** The distribution the Debian purls name (`debian`, `13`), from the first that says. */
  distro?: Distro;
  /** Purls of other types (npm, golang, apk…), which a Debian scan cannot match. */
  otherPurls: number;
}

/** The most packages one document may list: an SBOM with more is not an image's. */
const MAX_PACKAGES = 500_000;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
// What a deb purl's fields may hold (Debian policy §5.6.1, §5.6.12, dpkg's
// architecture names). A purl decodes to any text, and its name and version
// are printed in summaries: one outside these (a terminal escape) is damage.
const DEB_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
const DEB_VERSION = /^[A-Za-z0-9.+~:-]{1,256}$/;
const DEB_ARCH = /^[a-z0-9-]{1,32}$/;
/** PEP 503 names and PEP 440 versions, loosely: no spaces, no control characters. */
const PYPI_NAME = /^[A-Za-z0-9._-]{1,256}$/;
const PYPI_VERSION = /^[A-Za-z0-9.+!_-]{1,256}$/;

/** The inventory of the SBOM `bytes` (SPDX or CycloneDX JSON); `label` names it in errors. */
export function sbomInventory(bytes: Uint8Array, label: string): SbomInventory {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (cause) {
    throw invalid(label, "is not JSON", cause);
  }
  if (!isObject(doc)) throw invalid(label, "is not a JSON object");
  if (typeof doc.spdxVersion === "string") return spdxInventory(doc, label);
  if (doc.bomFormat === "CycloneDX") return cyclonedxInventory(doc, label);
  throw invalid(label, "is neither SPDX nor CycloneDX JSON");
}

function spdxInventory(doc: Record<string, unknown>, label: string): SbomInventory {
  if (!Array.isArray(doc.packages)) throw invalid(label, "(SPDX) has no packages array");
  const purls: string[] = [];
  let describes: string | undefined;
  for (const pkg of capped(doc.packages, label)) {
    if (!isObject(pkg)) continue;
    if (pkg.primaryPackagePurpose === "CONTAINER" && typeof pkg.versionInfo === "string") {
      if (DIGEST.test(pkg.versionInfo)) describes ??= pkg.versionInfo;
      continue;
    }
    if (!Array.isArray(pkg.externalRefs)) continue;
    for (const ref of pkg.externalRefs) {
      if (isObject(ref) && ref.referenceType === "purl" && typeof ref.referenceLocator === "string")
        purls.push(ref.referenceLocator);
    }
  }
  return { format: "spdx", describes, ...fromPurls(purls, label) };
}

function cyclonedxInventory(doc: Record<string, unknown>, label: string): SbomInventory {
  const components = doc.components ?? [];
  if (!Array.isArray(components)) throw invalid(label, "(CycloneDX) has a components field that is no array");
  const purls: string[] = [];
  for (const c of capped(components, label)) {
    if (isObject(c) && c.type !== "file" && typeof c.purl === "string") purls.push(c.purl);
  }
  const subject = isObject(doc.metadata) ? doc.metadata.component : undefined;
  const version = isObject(subject) ? subject.version : undefined;
  const describes = typeof version === "string" && DIGEST.test(version) ? version : undefined;
  return { format: "cyclonedx", describes, ...fromPurls(purls, label) };
}

function fromPurls(purls: readonly string[], label: string): Omit<SbomInventory, "format" | "describes"> {
  const packages = new Map<string, InstalledPackage>();
  const python = new Map<string, { name: string; version: string }>();
  let distro: Distro | undefined;
  let otherPurls = 0;
  for (const text of purls) {
    const purl = parsePurl(text);
    if (purl?.version === undefined) {
      otherPurls++;
      continue;
    }
    if (purl.type === "pypi") {
      if (!PYPI_NAME.test(purl.name) || !PYPI_VERSION.test(purl.version))
        throw invalid(
          label,
          `has a pypi purl whose name or version is not one: ${JSON.stringify(text.slice(0, 200))}`,
        );
      python.set(`${purl.name}\0${purl.version}`, { name: purl.name, version: purl.version });
      continue;
    }
    if (purl.type !== "deb") {
      otherPurls++;
      continue;
    }
    const arch = purl.qualifiers.arch ?? "all";
    // `upstream=SOURCE` or `upstream=SOURCE@VERSION` (an epoch's `:` stays in the version).
    const upstream = purl.qualifiers.upstream;
    const at = upstream?.indexOf("@") ?? -1;
    const source = upstream === undefined ? undefined : at < 0 ? upstream : upstream.slice(0, at);
    const sourceVersion = upstream !== undefined && at >= 0 ? upstream.slice(at + 1) : undefined;
    if (
      !DEB_NAME.test(purl.name) ||
      !DEB_VERSION.test(purl.version) ||
      !DEB_ARCH.test(arch) ||
      (source !== undefined && !DEB_NAME.test(source)) ||
      (sourceVersion !== undefined && !DEB_VERSION.test(sourceVersion))
    )
      throw invalid(
        label,
        `has a deb purl that names no Debian package: ${JSON.stringify(text.slice(0, 200))}`,
      );
    packages.set(`${purl.name}\0${arch}`, {
      name: purl.name,
      version: purl.version,
      arch,
      ...(source ? { source } : {}),
      ...(sourceVersion ? { sourceVersion } : {}),
      manager: "dpkg",
    });
    if (distro === undefined && purl.qualifiers.distro !== undefined)
      distro = distroOfQualifier(purl.namespace ?? "debian", purl.qualifiers.distro);
  }
  return {
    packages: [...packages.values()].sort((a, b) => cmp(a.name, b.name) || cmp(a.arch, b.arch)),
    python: [...python.values()].sort((a, b) => cmp(a.name, b.name) || cmp(a.version, b.version)),
    ...(distro === undefined ? {} : { distro }),
    otherPurls,
  };
}

/** `debian-13` (cudaseal, syft) or `bookworm` (some tools) → the distribution and its version or codename. */
function distroOfQualifier(namespace: string, value: string): Distro {
  const m = /^([a-z][a-z0-9._]*)-(\S+)$/.exec(value);
  if (m) return { id: m[1], versionId: m[2] };
  return { id: namespace, versionId: value };
}

function capped(list: unknown[], label: string): unknown[] {
  if (list.length > MAX_PACKAGES)
    throw invalid(label, `lists ${list.length} packages, more than the ${MAX_PACKAGES} an image's SBOM may`);
  return list;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function invalid(label: string, what: string, cause?: unknown): CudasealError {
  return new CudasealError("SBOM_INVALID", `${label} ${what}`, {
    hint: "the SBOM attached to the image is damaged or not one cudaseal reads; rescan without it by reading the layers (--no-sbom)",
    cause,
  });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
