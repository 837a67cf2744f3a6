// `oci-archive:FILE[:TAG]`: an OCI image layout in one tar file, read in
// place through an index of the archive (tar-index.ts).

import { formatImageRef, type ImageRef } from "./image-ref.ts";
import { layoutReader } from "./layout-reader.ts";
import { indexTar } from "./tar-index.ts";
import type { ImageReader } from "./types.ts";

/** The OCI archive `ref` names, as an image reader. */
export async function openOciArchive(
  ref: Extract<ImageRef, { transport: "oci-archive" }>,
): Promise<ImageReader> {
  return layoutReader(await indexTar(ref.file), { tag: ref.tag }, formatImageRef(ref));
}
