// SPDX 2.3 JSON for one image. The document DESCRIBES the image (a CONTAINER
// package), the image CONTAINS every Debian package, every Python
// distribution and every file no
// package owns, each package CONTAINS its files (where they were asked for)
// and DEPENDS_ON the packages its dependencies resolved to. A package's
// licenseDeclared is what its copyright file says; every LicenseRef- used is
// defined in hasExtractedLicensingInfos, as SPDX requires. Nothing comes
// from the wall clock: the namespace is derived from the image digest and
// the creation time is the image's, so the same model gives the same bytes.

import { createHash } from "node:crypto";
import { normalizeName } from "../python/index.ts";
import type { SbomFile, SbomModel, SbomPackage } from "./model.ts";

export const SPDX_VERSION = "SPDX-2.3";
const NOASSERTION = "NOASSERTION";
const DOCUMENT_ID = "SPDXRef-DOCUMENT";
const IMAGE_ID = "SPDXRef-Image";

/**
 * The document namespace: a URI unique to this document. SPDX documents the
 * `https://spdx.org/spdxdocs/<name>-<unique>` pattern for tools with no site
 * of their own; the image digest is the unique part.
 */
export function spdxNamespace(digest: string): string {
  return `https://spdx.org/spdxdocs/cudaseal-${digest.replace(":", "-")}`;
}

/**
 * The SPDXID of a Debian package. SPDXIDs allow only letters, digits, `.`
 * and `-`, so `.` escapes: `.` itself becomes `..` and any other character
 * `.` plus its UTF-8 bytes in hex (`libstdc++6` → `libstdc.2B.2B6`). Distinct
 * names give distinct IDs, and the same name always the same ID.
 */
export function spdxPackageId(name: string): string {
  return `SPDXRef-Package-deb-${escapeId(name)}`;
}

/**
 * The SPDXID of a Python distribution: its PEP 503 name and version, escaped
 * as spdxPackageId escapes (`Jinja2` 3.1.4 → `SPDXRef-Package-pypi-jinja2.403..1..4`),
 * so a distribution never shares an ID with a Debian package of its name.
 */
export function spdxPythonPackageId(name: string, version: string): string {
  return `SPDXRef-Package-pypi-${escapeId(`${normalizeName(name)}@${version}`)}`;
}

/** The SPDXID of any package of the model. */
function packageId(pkg: SbomPackage): string {
  return pkg.ecosystem === "pypi" ? spdxPythonPackageId(pkg.name, pkg.version) : spdxPackageId(pkg.name);
}

function escapeId(text: string): string {
  let out = "";
  for (const ch of text) {
    if (/[A-Za-z0-9-]/.test(ch)) out += ch;
    else if (ch === ".") out += "..";
    else {
      for (const byte of new TextEncoder().encode(ch)) {
        out += `.${byte.toString(16).toUpperCase().padStart(2, "0")}`;
      }
    }
  }
  return out;
}

/**
 * The SPDXID of a file: a hash of its path, since paths are unique in an
 * image but may hold any character and be far longer than an ID should be.
 */
export function spdxFileId(path: string): string {
  return `SPDXRef-File-${createHash("sha256").update(path).digest("hex").slice(0, 32)}`;
}

/** The SPDX 2.3 document as a JSON-ready object. */
export function spdxDocument(model: SbomModel): Record<string, unknown> {
  const { image } = model;
  const relationships: Record<string, string>[] = [
    { spdxElementId: DOCUMENT_ID, relationshipType: "DESCRIBES", relatedSpdxElement: IMAGE_ID },
  ];
  for (const pkg of model.packages) {
    relationships.push({
      spdxElementId: IMAGE_ID,
      relationshipType: "CONTAINS",
      relatedSpdxElement: packageId(pkg),
    });
  }
  for (const file of model.files) {
    relationships.push({
      spdxElementId: IMAGE_ID,
      relationshipType: "CONTAINS",
      relatedSpdxElement: spdxFileId(file.path),
    });
  }
  for (const pkg of model.packages) {
    for (const dep of pkg.dependsOn) {
      relationships.push({
        spdxElementId: spdxPackageId(pkg.name),
        relationshipType: "DEPENDS_ON",
        relatedSpdxElement: spdxPackageId(dep),
      });
    }
  }
  // A path two packages ship (Multi-Arch: same) is one file element, contained by both.
  const files = new Map<string, SbomFile>(model.files.map((f) => [f.path, f]));
  for (const pkg of model.packages) {
    for (const file of pkg.files ?? []) {
      if (!files.has(file.path)) files.set(file.path, file);
      relationships.push({
        spdxElementId: packageId(pkg),
        relationshipType: "CONTAINS",
        relatedSpdxElement: spdxFileId(file.path),
      });
    }
  }
  const fileElements = [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    spdxVersion: SPDX_VERSION,
    dataLicense: "CC0-1.0",
    SPDXID: DOCUMENT_ID,
    name: `${image.name} (${image.arch})`,
    documentNamespace: spdxNamespace(image.digest),
    creationInfo: { created: image.created, creators: ["Tool: cudaseal"] },
    documentDescribes: [IMAGE_ID],
    packages: [imagePackage(model), ...model.packages.map(packageElement)],
    ...(fileElements.length > 0 ? { files: fileElements.map(spdxFile) } : {}),
    ...(model.licenseRefs.length > 0
      ? {
          hasExtractedLicensingInfos: model.licenseRefs.map((ref) => ({
            licenseId: ref.id,
            name: ref.name,
            // extractedText is required; where the copyright file has no text for the name, say where the name is from.
            extractedText:
              ref.text ?? `The licence called "${ref.name}" in a Debian machine-readable copyright file.`,
          })),
        }
      : {}),
    relationships,
  };
}

function spdxFile(file: SbomFile): Record<string, unknown> {
  return {
    SPDXID: spdxFileId(file.path),
    // SPDX file names are relative to the package's root, with a leading `./`.
    fileName: `.${file.path}`,
    checksums: [
      { algorithm: "SHA1", checksumValue: file.sha1 },
      { algorithm: "SHA256", checksumValue: file.sha256 },
    ],
    licenseConcluded: NOASSERTION,
    copyrightText: NOASSERTION,
  };
}

function imagePackage(model: SbomModel): Record<string, unknown> {
  const { image } = model;
  return {
    SPDXID: IMAGE_ID,
    name: image.name,
    versionInfo: image.digest,
    primaryPackagePurpose: "CONTAINER",
    supplier: NOASSERTION,
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    checksums: [{ algorithm: "SHA256", checksumValue: image.digest.slice("sha256:".length) }],
    licenseConcluded: NOASSERTION,
    licenseDeclared: NOASSERTION,
    copyrightText: NOASSERTION,
    comment: `architecture ${image.arch}`,
  };
}

function packageElement(pkg: SbomPackage): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    SPDXID: packageId(pkg),
    name: pkg.name,
    versionInfo: pkg.version,
    primaryPackagePurpose: "LIBRARY",
    supplier: NOASSERTION,
    downloadLocation: pkg.url ?? NOASSERTION,
    filesAnalyzed: false,
    ...(pkg.sha256 ? { checksums: [{ algorithm: "SHA256", checksumValue: pkg.sha256 }] } : {}),
    licenseConcluded: NOASSERTION,
    licenseDeclared: pkg.license ?? NOASSERTION,
    copyrightText: NOASSERTION,
    externalRefs: [
      { referenceCategory: "PACKAGE-MANAGER", referenceType: "purl", referenceLocator: pkg.purl },
    ],
  };
  if (pkg.installer !== undefined) doc.comment = `installed by ${pkg.installer}`;
  if (pkg.source !== pkg.name || pkg.sourceVersion !== pkg.version) {
    doc.sourceInfo = `built from source package ${pkg.source} ${pkg.sourceVersion}`;
  }
  return doc;
}
