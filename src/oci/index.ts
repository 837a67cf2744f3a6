// Writing OCI images: what the build and the CLI may use from src/oci.

export { withTempDir, withTempFile } from "./atomic-output.ts";
export { canonicalJson, canonicalJsonBytes } from "./canonical-json.ts";
export type { Descriptor, JsonBlob } from "./descriptor.ts";
export { jsonBlob, sha256Digest } from "./descriptor.ts";
export type { DockerArchiveOptions } from "./docker-archive.ts";
export { parseDockerRef, writeDockerArchive } from "./docker-archive.ts";
export type { ConfigLayer, ImageConfig, ImageConfigInput, RuntimeConfig } from "./image-config.ts";
export { buildImageConfig } from "./image-config.ts";
export type { BuiltImage, ImagePlan, LayerBlob, PlatformImage } from "./image-plan.ts";
export { planImage } from "./image-plan.ts";
export type {
  Artifact,
  ArtifactBlob,
  LayoutOptions,
  WrittenImage,
  WrittenPlatform,
} from "./layout-contents.ts";
export { writeOciLayout } from "./layout-writer.ts";
export type { ImageIndex, ImageManifest } from "./manifest.ts";
export { buildIndex, buildManifest } from "./manifest.ts";
export * from "./media-types.ts";
export { writeOciArchive } from "./oci-archive.ts";
export type { Platform } from "./platform.ts";
export { linuxPlatform, platformMatches, platformString } from "./platform.ts";
