// The seam every command that takes an image reads through: a reference
// (image-ref.ts) opens, by its transport, to an image reader (types.ts), and
// one platform of it (platform-walk.ts) to a manifest digest, parsed config
// and layers, each layer a stream of its stored (compressed) bytes that
// fails with IMAGE_INVALID unless they match the layer's digest.

import { CudasealError } from "../errors.ts";
import { openDockerArchive } from "./docker-archive-source.ts";
import { formatImageRef, type ImageRef, parseImageRef } from "./image-ref.ts";
import { openOciArchive } from "./oci-archive-source.ts";
import { openOciDirectory } from "./oci-dir-source.ts";
import { openPlatform } from "./platform-walk.ts";
import { registryReader } from "./registry-source.ts";
import type { ImageReader, OpenedImage, OpenImageOptions, ReaderOptions } from "./types.ts";

export { hostArch } from "./host-arch.ts";
export type { ImageReader, OpenedImage, OpenImageOptions, ReaderOptions, SourceLayer } from "./types.ts";

type Opener = (ref: ImageRef, options: ReaderOptions) => Promise<ImageReader>;

const READERS: Readonly<Record<ImageRef["transport"], Opener>> = {
  oci: (ref) => openOciDirectory(ref as Extract<ImageRef, { transport: "oci" }>),
  "oci-archive": (ref) => openOciArchive(ref as Extract<ImageRef, { transport: "oci-archive" }>),
  "docker-archive": (ref) => openDockerArchive(ref as Extract<ImageRef, { transport: "docker-archive" }>),
  docker: async (ref, o) =>
    registryReader(ref as Extract<ImageRef, { transport: "docker" }>, o, formatImageRef(ref)),
};

/** The image `ref` names (a string is parsed with parseImageRef), as a reader of every transport's one kind. */
export function openReader(ref: string | ImageRef, options: ReaderOptions = {}): Promise<ImageReader> {
  const parsed = typeof ref === "string" ? parseImageRef(ref) : ref;
  const open = READERS[parsed.transport];
  if (open === undefined) throw new CudasealError("USAGE", `no image source for ${parsed.transport}`);
  return open(parsed, options);
}

/** Open one platform of the image `ref` names: `options.arch`, else the host's. */
export async function openImage(
  ref: string | ImageRef,
  options: OpenImageOptions = {},
): Promise<OpenedImage> {
  return openPlatform(await openReader(ref, options), options.arch);
}
