// SBOMs that travel with the image: each one stored in the layout as an OCI
// 1.1 artifact manifest whose `subject` is the platform manifest it
// describes, so `oras discover`, `cosign tree` and registries' referrers API
// find it next to the image.

import type { LockedPackage } from "../apt/types.ts";
import { describe, sha256Digest } from "../oci/descriptor.ts";
import type { ImagePlan } from "../oci/image-plan.ts";
import type { Artifact } from "../oci/layout-contents.ts";
import { buildManifest } from "../oci/manifest.ts";
import { OCI_EMPTY } from "../oci/media-types.ts";
import { SBOM_FORMATS } from "./formats.ts";
import { type SbomFacts, sbomModel } from "./model.ts";

/** The artifact types registries and tools recognise for each format. */
export const SBOM_MEDIA_TYPES = {
  spdx: "application/spdx+json",
  cyclonedx: "application/vnd.cyclonedx+json",
} as const;

export interface PlatformSbom {
  arch: string;
  format: keyof typeof SBOM_MEDIA_TYPES;
  /** The document, rendered. */
  text: string;
}

/** Both SBOMs for every platform of a planned image: the documents, and the artifacts that carry them. */
export function sbomArtifacts(
  plan: ImagePlan,
  packagesOf: (arch: string) => readonly LockedPackage[],
  meta: { name: string; created: string },
  factsOf: (arch: string) => SbomFacts = () => ({}),
): { documents: PlatformSbom[]; artifacts: Artifact[] } {
  const documents: PlatformSbom[] = [];
  const artifacts: Artifact[] = [];
  const empty = Buffer.from("{}");
  const emptyDescriptor = { mediaType: OCI_EMPTY, digest: sha256Digest(empty), size: empty.length };
  for (const platform of plan.platforms) {
    const arch = platform.platform.architecture;
    const subject = describe(platform.manifest);
    const model = sbomModel(
      { name: meta.name, digest: subject.digest, created: meta.created, arch },
      packagesOf(arch),
      factsOf(arch),
    );
    for (const format of ["spdx", "cyclonedx"] as const) {
      const text = SBOM_FORMATS[format].render(model);
      const bytes = Buffer.from(text);
      const layer = { mediaType: SBOM_MEDIA_TYPES[format], digest: sha256Digest(bytes), size: bytes.length };
      const manifest = buildManifest({
        config: emptyDescriptor,
        layers: [layer],
        artifactType: SBOM_MEDIA_TYPES[format],
        subject,
        annotations: { "org.opencontainers.image.created": meta.created },
      });
      documents.push({ arch, format, text });
      artifacts.push({
        manifest,
        blobs: [
          { digest: emptyDescriptor.digest, bytes: empty },
          { digest: layer.digest, bytes },
        ],
      });
    }
  }
  return { documents, artifacts };
}
