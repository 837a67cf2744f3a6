// The SBOM formats cudaseal writes, each with how it renders the neutral
// model and the file name it usually goes by. The build, the artifacts it
// stores and `cudaseal sbom` all pick their renderer from this one table.

import { cyclonedxDocument } from "./cyclonedx.ts";
import type { SbomModel } from "./model.ts";
import { spdxDocument } from "./spdx.ts";

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
