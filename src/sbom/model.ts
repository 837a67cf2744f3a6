// The SBOM-neutral description of one image (one architecture): what the
// image is, which Debian (or apk) packages and Python distributions it holds
// with their licences, and which
// files (the packages' where asked, and always those no package owns). Every
// format (SPDX, CycloneDX) renders this, and nothing else, so they always
// agree. Built purely from a lock's or an image's packages plus facts
// gathered while its layers streamed past: no wall clock, no I/O, the same
// input gives the same model.

import type { LockedPackage } from "../apt/types.ts";
import { CudasealError } from "../errors.ts";
import { normalizeName } from "../python/index.ts";
import type { InstalledPackage } from "../source/packages.ts";
import type { CopyrightLicense, LicenseRefInfo } from "./copyright.ts";
import { apkPurl, debPurl, pypiPurl } from "./purl.ts";

export interface SbomImage {
  /** What the image is called (a reference such as `registry/name:tag`, or its digest). */
  name: string;
  /** The image manifest's digest, `sha256:<hex>`. */
  digest: string;
  /** The image's created time, RFC 3339 in UTC with whole seconds (`2024-01-02T03:04:05Z`). */
  created: string;
  /** Debian architecture of the image. */
  arch: string;
}

export interface SbomPackage {
  /** `pypi` for a Python distribution; absent for an OS package (dpkg, apk). */
  ecosystem?: "pypi";
  name: string;
  version: string;
  arch: string;
  source: string;
  sourceVersion: string;
  purl: string;
  /** Where the .deb was downloaded from, when known (images cudaseal built). */
  url?: string;
  /** SHA-256 of the .deb (or the wheel), hex, when known (images cudaseal built). */
  sha256?: string;
  /** What installed a Python distribution (its INSTALLER file: pip, uv, cudaseal), when it says. */
  installer?: string;
  /** SPDX licence expression, when known: from the package's copyright file, or apk's `L:`. */
  license?: string;
  /** Names of the packages in this SBOM that this one's dependencies resolved to, sorted. */
  dependsOn: string[];
  /** The package's regular files in the image, when files were asked for; sorted by path. */
  files?: SbomFile[];
}

/** One regular file of the image. */
export interface SbomFile {
  /** Absolute path in the image (`/usr/lib/x86_64-linux-gnu/libc.so.6`). */
  path: string;
  /** SHA-256 of the body, hex. */
  sha256: string;
  /** SHA-1 of the body, hex: SPDX 2.3 requires it of every file. */
  sha1: string;
}

export interface SbomModel {
  image: SbomImage;
  /**
   * The OS packages sorted by name, names unique; then the Python
   * distributions sorted by name and version, each name and version once.
   */
  packages: SbomPackage[];
  /** Regular files no package owns and the build did not generate (the user's contents), sorted by path. */
  files: SbomFile[];
  /** The LicenseRef- licences the packages' expressions use, sorted by id, ids unique. */
  licenseRefs: LicenseRefInfo[];
}

/** What the image's files say beyond its package list, gathered while its layers were read. */
export interface SbomFacts {
  /** Each package's licence, from its copyright file, by package name. */
  licenses?: ReadonlyMap<string, CopyrightLicense>;
  /** Each package's regular files, by package name, when files were asked for. */
  packageFiles?: ReadonlyMap<string, readonly SbomFile[]>;
  /** The regular files no package owns. */
  unowned?: readonly SbomFile[];
  /** The Python distributions in the image. */
  python?: readonly PythonSbomPackage[];
}

/** One Python distribution, as the image's metadata (or the build's wheel) describes it. */
export interface PythonSbomPackage {
  /** The name as its metadata spells it. */
  name: string;
  version: string;
  license?: CopyrightLicense;
  /** SHA-256 of the wheel, hex, when known (images cudaseal built). */
  sha256?: string;
  /** Where the wheel was downloaded from, when known. */
  url?: string;
  /** What installed it (INSTALLER). */
  installer?: string;
  /** Its regular files in the image, when files were asked for. */
  files?: readonly SbomFile[];
}

export interface SbomImageInput {
  name?: string;
  digest: string;
  /** Any time `Date` parses; normalised to whole seconds in UTC. */
  created: string;
  arch: string;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** The distribution an image says it is (`/etc/os-release`): `ID` and `VERSION_ID`. */
export interface Distro {
  id: string;
  versionId?: string;
}

/**
 * The model for any image, from the packages its dpkg or apk database lists.
 * Nothing is known of the files the packages came from, so there are no
 * download locations or checksums, and no dependency edges.
 */
export function sbomModelFromInstalled(
  image: SbomImageInput,
  installed: readonly InstalledPackage[],
  distro: Distro,
  facts: SbomFacts = {},
): SbomModel {
  checkImage(image);
  const seen = new Set<string>();
  const packages: SbomPackage[] = [];
  for (const pkg of installed) {
    // One record per name: a second architecture of a Multi-Arch package adds nothing an SBOM can name apart.
    if (seen.has(pkg.name)) continue;
    seen.add(pkg.name);
    const source = pkg.source ?? pkg.name;
    const sourceVersion = pkg.sourceVersion ?? pkg.version;
    packages.push({
      name: pkg.name,
      version: pkg.version,
      arch: pkg.arch,
      source,
      sourceVersion,
      purl:
        pkg.manager === "apk"
          ? apkPurl({ ...pkg, namespace: distro.id })
          : debPurl({
              ...pkg,
              source,
              sourceVersion,
              namespace: distro.id,
              distro: distro.versionId ? `${distro.id}-${distro.versionId}` : distro.id,
            }),
      license: pkg.license,
      dependsOn: [],
    });
  }
  return withFacts(
    { image: imageOf(image), packages: packages.sort((a, b) => byCodePoint(a.name, b.name)) },
    facts,
  );
}

/** Licences, files and LicenseRefs added to packages already chosen, and the Python distributions after them. */
function withFacts(model: { image: SbomImage; packages: SbomPackage[] }, facts: SbomFacts): SbomModel {
  const refs = new Map<string, LicenseRefInfo>();
  const addRefs = (license: CopyrightLicense) => {
    // Two packages may word a licence of the same name differently; the first (by name) gives its text.
    for (const ref of license.refs) if (!refs.has(ref.id)) refs.set(ref.id, ref);
  };
  const osPackages = model.packages.map((pkg) => {
    const out = { ...pkg };
    const license = facts.licenses?.get(pkg.name);
    if (license !== undefined) {
      out.license = license.expression;
      addRefs(license);
    }
    const files = facts.packageFiles?.get(pkg.name);
    if (files !== undefined) out.files = sortFiles(files);
    return out;
  });
  const python = pythonPackages(facts.python ?? []);
  for (const p of facts.python ?? []) if (p.license !== undefined) addRefs(p.license);
  return {
    image: model.image,
    packages: [...osPackages, ...python],
    files: sortFiles(facts.unowned ?? []),
    licenseRefs: [...refs.values()].sort((a, b) => byCodePoint(a.id, b.id)),
  };
}

/** The Python distributions as SBOM packages, sorted, each normalised name and version once. */
function pythonPackages(input: readonly PythonSbomPackage[]): SbomPackage[] {
  const byKey = new Map<string, SbomPackage>();
  for (const p of input) {
    const key = `${normalizeName(p.name)}\0${p.version}`;
    const seen = byKey.get(key);
    if (seen !== undefined) {
      // The same release in two places (a venv and the system): one package, every file.
      if (p.files !== undefined) seen.files = sortFiles([...(seen.files ?? []), ...p.files]);
      continue;
    }
    const pkg: SbomPackage = {
      ecosystem: "pypi",
      name: p.name,
      version: p.version,
      arch: "",
      source: p.name,
      sourceVersion: p.version,
      purl: pypiPurl(p),
      dependsOn: [],
    };
    if (p.license !== undefined) pkg.license = p.license.expression;
    if (p.sha256 !== undefined) pkg.sha256 = p.sha256;
    if (p.url !== undefined) pkg.url = p.url;
    if (p.installer !== undefined) pkg.installer = p.installer;
    if (p.files !== undefined) pkg.files = sortFiles(p.files);
    byKey.set(key, pkg);
  }
  return [...byKey.values()].sort(
    (a, b) => byCodePoint(normalizeName(a.name), normalizeName(b.name)) || byCodePoint(a.version, b.version),
  );
}

function sortFiles(files: readonly SbomFile[]): SbomFile[] {
  return [...files].sort((a, b) => byCodePoint(a.path, b.path));
}

function checkImage(image: SbomImageInput): void {
  if (!DIGEST.test(image.digest)) {
    throw new CudasealError("IMAGE_INVALID", `not a sha256 image digest: ${image.digest}`, {
      hint: "give the image manifest's digest as sha256:<64 hex digits>",
    });
  }
}

function imageOf(image: SbomImageInput): SbomImage {
  return {
    name: image.name ?? image.digest,
    digest: image.digest,
    created: normaliseTime(image.created),
    arch: image.arch,
  };
}

/** The model for one architecture's image, from that architecture's locked packages. */
export function sbomModel(
  image: SbomImageInput,
  packages: readonly LockedPackage[],
  facts: SbomFacts = {},
): SbomModel {
  checkImage(image);
  const names = new Set<string>();
  for (const pkg of packages) {
    if (names.has(pkg.name)) {
      throw new CudasealError("IMAGE_INVALID", `package ${pkg.name} is listed twice`);
    }
    names.add(pkg.name);
  }
  return withFacts(
    {
      image: imageOf(image),
      packages: packages
        .map(
          (pkg): SbomPackage => ({
            name: pkg.name,
            version: pkg.version,
            arch: pkg.arch,
            source: pkg.source,
            sourceVersion: pkg.sourceVersion,
            purl: debPurl(pkg),
            url: pkg.url,
            sha256: pkg.sha256,
            // A dependency the image does not hold (provided by the host) has nothing to point at.
            dependsOn: [...new Set(pkg.dependsOn)].filter((name) => names.has(name)).sort(byCodePoint),
          }),
        )
        .sort((a, b) => byCodePoint(a.name, b.name)),
    },
    facts,
  );
}

function normaliseTime(text: string): string {
  const time = new Date(text);
  if (text === "" || Number.isNaN(time.getTime())) {
    throw new CudasealError("IMAGE_INVALID", `not a time: ${text}`, {
      hint: "give the image's created time as RFC 3339, e.g. 2024-01-02T03:04:05Z",
    });
  }
  return time.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
