// `oci-archive:FILE[:TAG]`: an OCI image layout in one tar file, read in
// place through an index of the archive (tar-index.ts).

import type { ImageRef } from "./image-ref.ts";
import type { OpenedImage, OpenImageOptions } from "./image-source.ts";
import { openLayoutImage } from "./layout-image.ts";
import { indexTar } from "./tar-index.ts";

/** Open one platform of the OCI archive `ref` names. */
export async function openOciArchive(
  ref: Extract<ImageRef, { transport: "oci-archive" }>,
  options: OpenImageOptions,
): Promise<OpenedImage> {
  return openLayoutImage(await indexTar(ref.file), { tag: ref.tag }, options);
}
