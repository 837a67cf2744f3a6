// Media types cudaseal writes and accepts. OCI types for everything we
// produce; Docker's only where a consumer (a Docker archive, a registry
// answering with Docker schema 2) speaks them.

export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
export const OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";
export const OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
export const OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
/** The `{}` config of an OCI 1.1 artifact manifest (an SBOM, a signature). */
export const OCI_EMPTY = "application/vnd.oci.empty.v1+json";

export const DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
export const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
export const DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
export const DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar";
export const DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";

/** The `imageLayoutVersion` written to an OCI layout's `oci-layout` file. */
export const OCI_LAYOUT_VERSION = "1.0.0";

/** Annotation naming a manifest in a layout's index.json: the tag in `oci:DIR:TAG`. */
export const ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name";
/** Annotation containerd and Docker put beside the ref name: the full image name. */
export const ANNOTATION_CONTAINERD_NAME = "io.containerd.image.name";

const LAYER_TYPES: ReadonlySet<string> = new Set([
  OCI_LAYER,
  OCI_LAYER_GZIP,
  OCI_LAYER_ZSTD,
  DOCKER_LAYER,
  DOCKER_LAYER_GZIP,
]);

/** True for the layer media types an image's rootfs may be built from. */
export function isLayerMediaType(mediaType: string): boolean {
  return LAYER_TYPES.has(mediaType);
}

/**
 * The artifactType a layout lists cosign's tag `sha256-<hex>.sig` (`.att`,
 * `.sbom`) with, so that readers choosing "the image" of an untagged layout
 * pass it over; undefined for any other tag.
 */
export function cosignArtifactType(tag: string): string | undefined {
  const m = /^sha256-[0-9a-f]{64}\.([a-z]+)$/.exec(tag);
  return m ? `application/vnd.dev.cosign.artifact.${m[1]}.v1+json` : undefined;
}

/**
 * A manifest's media type read from the manifest itself, for where no
 * descriptor or header names it: its own `mediaType` field, else by its
 * shape (a `manifests` list is an index); undefined when it is not JSON.
 */
export function mediaTypeInManifest(bytes: Uint8Array): string | undefined {
  try {
    const doc = JSON.parse(Buffer.from(bytes).toString("utf8")) as {
      mediaType?: unknown;
      manifests?: unknown;
    };
    if (typeof doc.mediaType === "string") return doc.mediaType;
    return Array.isArray(doc.manifests) ? OCI_INDEX : OCI_MANIFEST;
  } catch {
    return undefined;
  }
}

/** True for manifest and index types, which a layout's index.json may point at. */
export function isManifestMediaType(mediaType: string): boolean {
  return (
    mediaType === OCI_MANIFEST ||
    mediaType === OCI_INDEX ||
    mediaType === DOCKER_MANIFEST ||
    mediaType === DOCKER_MANIFEST_LIST
  );
}
