// An OCI image layout in one tar file, what skopeo and podman read as
// `oci-archive:FILE`. The same files as the layout directory, streamed.

import type { BuiltImage } from "./image-plan.ts";
import type { LayoutOptions, WrittenImage } from "./layout-contents.ts";
import { ociLayoutContents } from "./layout-contents.ts";
import { writeLayoutTar } from "./layout-tar.ts";

/** Write `image` as an OCI archive at `file`, replaced only once the new one is whole. */
export async function writeOciArchive(
  file: string,
  image: BuiltImage,
  options: LayoutOptions = {},
): Promise<WrittenImage> {
  const { files, written } = await ociLayoutContents(image, options);
  await writeLayoutTar(file, files);
  return written;
}
