// `oci:DIR[:TAG]`: an OCI image layout directory, read where it lies.

import { directoryFiles } from "./blob-files.ts";
import { formatImageRef, type ImageRef } from "./image-ref.ts";
import { layoutReader } from "./layout-reader.ts";
import type { ImageReader } from "./types.ts";

/** The layout directory `ref` names, as an image reader. */
export async function openOciDirectory(ref: Extract<ImageRef, { transport: "oci" }>): Promise<ImageReader> {
  return layoutReader(directoryFiles(ref.dir), { tag: ref.tag }, formatImageRef(ref));
}
