// The seam every command that takes an image reads through: a reference
// (image-ref.ts) opens, by its transport, to an image reader (types.ts), and
// one platform of it (platform-walk.ts) to a manifest digest, parsed config
// and layers, each layer a stream of its stored (compressed) bytes that
// fails with IMAGE_INVALID unless they match the layer's digest.

import { type ImageRef, parseImageRef } from "./image-ref.ts";
import { openPlatform } from "./platform-walk.ts";
import { transportOf } from "./transports.ts";
import type { ImageReader, OpenedImage, OpenImageOptions, ReaderOptions } from "./types.ts";

export { hostArch } from "./host-arch.ts";
export type { ImageReader, OpenedImage, OpenImageOptions, ReaderOptions, SourceLayer } from "./types.ts";

/** The image `ref` names (a string is parsed with parseImageRef), as a reader like every transport's. */
export function openReader(ref: string | ImageRef, options: ReaderOptions = {}): Promise<ImageReader> {
  const parsed = typeof ref === "string" ? parseImageRef(ref) : ref;
  return transportOf(parsed).open(parsed, options);
}

/** Open one platform of the image `ref` names: `options.arch`, else the host's. */
export async function openImage(
  ref: string | ImageRef,
  options: OpenImageOptions = {},
): Promise<OpenedImage> {
  return openPlatform(await openReader(ref, options), options.arch);
}
