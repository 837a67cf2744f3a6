// `oci:DIR[:TAG]`: an OCI image layout directory, read where it lies.

import { directoryFiles } from "./blob-files.ts";
import type { ImageRef } from "./image-ref.ts";
import type { OpenedImage, OpenImageOptions } from "./image-source.ts";
import { openLayoutImage } from "./layout-image.ts";

/** Open one platform of the layout directory `ref` names. */
export function openOciDirectory(
  ref: Extract<ImageRef, { transport: "oci" }>,
  options: OpenImageOptions,
): Promise<OpenedImage> {
  return openLayoutImage(directoryFiles(ref.dir), { tag: ref.tag }, options);
}
