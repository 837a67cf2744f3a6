// What other stages may use from the SBOM stage: the neutral model built
// from a lock or an image, the licences of copyright files, and the formats
// that render it.

import { cyclonedxDocument } from "./cyclonedx.ts";
import type { SbomModel } from "./model.ts";
import { spdxDocument } from "./spdx.ts";

export {
  type CopyrightLicense,
  copyrightLicense,
  type LicenseRefInfo,
  MAX_COPYRIGHT_BYTES,
} from "./copyright.ts";
export { cyclonedxDocument, cyclonedxSerialNumber } from "./cyclonedx.ts";
export { hashedBody } from "./file-digest.ts";
export {
  type Distro,
  type SbomFacts,
  type SbomFile,
  type SbomImage,
  type SbomImageInput,
  type SbomModel,
  type SbomPackage,
  sbomModel,
  sbomModelFromInstalled,
} from "./model.ts";
export { apkPurl, DEBIAN_DISTRO, debPurl, purlEncode } from "./purl.ts";
export { spdxDocument, spdxFileId, spdxNamespace, spdxPackageId } from "./spdx.ts";

/** One SBOM format: how it renders the model and what its file is usually called. */
export interface SbomFormat {
  name: string;
  fileName: string;
  render(model: SbomModel): string;
}

export const SBOM_FORMATS: Record<"spdx" | "cyclonedx", SbomFormat> = {
  spdx: { name: "spdx", fileName: "sbom.spdx.json", render: (model) => asJson(spdxDocument(model)) },
  cyclonedx: {
    name: "cyclonedx",
    fileName: "sbom.cdx.json",
    render: (model) => asJson(cyclonedxDocument(model)),
  },
};

/** Two-space indent and a final newline; key order is the order the renderers build. */
function asJson(doc: Record<string, unknown>): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
