// The seam every command that takes an image reads through: a reference
// (image-ref.ts) opens to one platform's manifest digest, parsed config and
// layers, each layer a stream of its stored (compressed) bytes that fails
// with IMAGE_INVALID unless they match the layer's digest.

import { CudasealError } from "../errors.ts";

export { hostArch } from "./host-arch.ts";

import type { RegistryClientOptions } from "../registry/client.ts";
import { openRegistryImage } from "../registry/registry-image.ts";
import { openDockerArchive } from "./docker-archive-source.ts";
import { type ImageRef, parseImageRef } from "./image-ref.ts";
import { openOciArchive } from "./oci-archive-source.ts";
import { openOciDirectory } from "./oci-dir-source.ts";

/** One layer of an opened image. */
export interface SourceLayer {
  digest: string;
  size: number;
  mediaType: string;
  /** The layer's stored bytes; the stream fails at its end unless they match `digest`. */
  open(): AsyncIterable<Uint8Array>;
}

/** One platform of an image, ready to read. */
export interface OpenedImage {
  /** The manifest's digest; for a classic Docker archive, which has none, the image ID (the config's digest). */
  manifestDigest: string;
  /**
   * The digest of the outermost image index the manifest was chosen from
   * (the multi-platform digest users push and sign); absent when the
   * reference named a manifest directly, or the source cannot tell.
   */
  indexDigest?: string;
  /** The image config, parsed, its digest checked. */
  config: Record<string, unknown>;
  layers: SourceLayer[];
}

export interface OpenImageOptions {
  /**
   * The platform to read from a multi-platform image (`amd64`, `arm64`, a
   * Debian name, or `arm/v7`); the host's by default. When given, a
   * single-platform image must be for it too.
   */
  arch?: string;
  /** How to reach registries (`--insecure` hosts, credentials, retries), for registry references. */
  registry?: RegistryClientOptions;
}

/** A way of reading images: one per transport. */
export interface ImageSource {
  open(ref: ImageRef, options: OpenImageOptions): Promise<OpenedImage>;
}

const SOURCES: Readonly<Record<ImageRef["transport"], ImageSource>> = {
  oci: { open: (ref, o) => openOciDirectory(ref as Extract<ImageRef, { transport: "oci" }>, o) },
  "oci-archive": {
    open: (ref, o) => openOciArchive(ref as Extract<ImageRef, { transport: "oci-archive" }>, o),
  },
  "docker-archive": {
    open: (ref, o) => openDockerArchive(ref as Extract<ImageRef, { transport: "docker-archive" }>, o),
  },
  docker: { open: (ref, o) => openRegistryImage(ref as Extract<ImageRef, { transport: "docker" }>, o) },
};

/** Open the image `ref` names (a string is parsed with parseImageRef). */
export function openImage(ref: string | ImageRef, options: OpenImageOptions = {}): Promise<OpenedImage> {
  const parsed = typeof ref === "string" ? parseImageRef(ref) : ref;
  const source = SOURCES[parsed.transport];
  if (source === undefined) throw new CudasealError("USAGE", `no image source for ${parsed.transport}`);
  return source.open(parsed, options);
}
