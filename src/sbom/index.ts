// What other stages may use from the SBOM stage: the neutral model built
// from a lock or an image, the facts and file checksums gathered while the
// layers are written, the licences of copyright files, the formats that
// render the model, and the artifacts that carry the documents in an image.

export { SBOM_MEDIA_TYPES, sbomArtifacts } from "./artifacts.ts";
export { type BuiltFiles, builtImageFacts } from "./build-facts.ts";
export {
  type CopyrightLicense,
  copyrightLicense,
  type LicenseRefInfo,
  MAX_COPYRIGHT_BYTES,
} from "./copyright.ts";
export { cyclonedxDocument, cyclonedxSerialNumber } from "./cyclonedx.ts";
export { hashedBody, hashedEntries } from "./file-digest.ts";
export { SBOM_FORMATS, type SbomFormat } from "./formats.ts";
export { distroOf, imageSbomModel, osReleaseOf, packageLicenses, sbomFileWanted } from "./image-sbom.ts";
export {
  type Distro,
  type PythonSbomPackage,
  type SbomFacts,
  type SbomFile,
  type SbomImage,
  type SbomImageInput,
  type SbomModel,
  type SbomPackage,
  sbomModel,
  sbomModelFromInstalled,
} from "./model.ts";
export { apkPurl, DEBIAN_DISTRO, debPurl, type ParsedPurl, parsePurl, purlEncode, pypiPurl } from "./purl.ts";
export { type InstalledWheel, pythonSbomPackage } from "./python-facts.ts";
export { type PythonLicenseFields, pythonLicense } from "./python-licenses.ts";
export { type SbomInventory, sbomInventory } from "./read-sbom.ts";
export { spdxDocument, spdxFileId, spdxNamespace, spdxPackageId, spdxPythonPackageId } from "./spdx.ts";
