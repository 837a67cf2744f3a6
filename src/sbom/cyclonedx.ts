// CycloneDX 1.6 JSON for one image: the image is the BOM's subject
// (metadata.component, type container), every Debian package and Python
// distribution a library component whose bom-ref is its purl, with its licence as an SPDX
// expression and its files (where asked for) nested in it as components of
// type file, and every file no package owns a top-level file component. The
// dependency graph says what the image holds and what each package depends
// on. The serial number is a UUID derived from the image digest and the
// timestamp is the image's created time, so the same model gives the same
// bytes.

import { createHash } from "node:crypto";
import type { SbomFile, SbomModel, SbomPackage } from "./model.ts";

export const CYCLONEDX_SPEC_VERSION = "1.6";

/** cudaseal's own UUID namespace for name-based (version 5) UUIDs. */
const UUID_NAMESPACE = "4c1b0f3e-6d2a-4f51-9a57-3f0c2a9e8d71";

/** `urn:uuid:…`: an RFC 4122 version 5 UUID of the image digest. */
export function cyclonedxSerialNumber(digest: string): string {
  const hash = createHash("sha1")
    .update(Buffer.from(UUID_NAMESPACE.replaceAll("-", ""), "hex"))
    .update(digest, "utf8")
    .digest()
    .subarray(0, 16);
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.toString("hex");
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The bom-ref of the image component. */
function imageRef(digest: string): string {
  return `image:${digest}`;
}

/** The CycloneDX 1.6 BOM as a JSON-ready object. */
export function cyclonedxDocument(model: SbomModel): Record<string, unknown> {
  const { image } = model;
  // Dependencies name OS packages: a Python distribution of the same name is not one.
  const purlOf = new Map(
    model.packages.filter((pkg) => pkg.ecosystem === undefined).map((pkg) => [pkg.name, pkg.purl]),
  );
  return {
    bomFormat: "CycloneDX",
    specVersion: CYCLONEDX_SPEC_VERSION,
    serialNumber: cyclonedxSerialNumber(image.digest),
    version: 1,
    metadata: {
      timestamp: image.created,
      tools: { components: [{ type: "application", name: "cudaseal" }] },
      component: {
        type: "container",
        "bom-ref": imageRef(image.digest),
        name: image.name,
        version: image.digest,
        hashes: [{ alg: "SHA-256", content: image.digest.slice("sha256:".length) }],
        properties: [{ name: "cudaseal:arch", value: image.arch }],
      },
    },
    components: [
      ...model.packages.map(component),
      ...model.files.map((file) => ({ ...fileComponent(file), "bom-ref": `file:${file.path}` })),
    ],
    dependencies: [
      { ref: imageRef(image.digest), dependsOn: model.packages.map((pkg) => pkg.purl) },
      ...model.packages.map((pkg) => ({
        ref: pkg.purl,
        dependsOn: pkg.dependsOn.map((name) => purlOf.get(name) as string),
      })),
    ],
  };
}

function component(pkg: SbomPackage): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    type: "library",
    "bom-ref": pkg.purl,
    name: pkg.name,
    version: pkg.version,
    purl: pkg.purl,
  };
  if (pkg.sha256) doc.hashes = [{ alg: "SHA-256", content: pkg.sha256 }];
  if (pkg.license !== undefined) doc.licenses = [{ expression: pkg.license }];
  if (pkg.url) doc.externalReferences = [{ type: "distribution", url: pkg.url }];
  const properties =
    pkg.ecosystem !== "pypi"
      ? [
          { name: "cudaseal:arch", value: pkg.arch },
          { name: "cudaseal:source", value: pkg.source },
          { name: "cudaseal:sourceVersion", value: pkg.sourceVersion },
        ]
      : pkg.installer === undefined
        ? []
        : [{ name: "cudaseal:installer", value: pkg.installer }];
  if (properties.length > 0) doc.properties = properties;
  // Nested components are what the package is made of: its files.
  if (pkg.files?.length) doc.components = pkg.files.map(fileComponent);
  return doc;
}

function fileComponent(file: SbomFile): Record<string, unknown> {
  return {
    type: "file",
    name: file.path,
    hashes: [
      { alg: "SHA-1", content: file.sha1 },
      { alg: "SHA-256", content: file.sha256 },
    ],
  };
}
