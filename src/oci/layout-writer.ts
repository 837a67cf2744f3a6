// Writes an image as an OCI image layout directory, the form `skopeo`,
// `umoci` and `podman` read as `oci:DIR:TAG`. Layer files are copied from
// the cache, never hardlinked: a link would share the cache's file, so a
// cache entry changed or damaged later would silently change an image
// already written, and a finished output must never change. The copy is a
// reflink where the filesystem can share extents (Btrfs, XFS), which costs
// neither time nor space, and a kernel-side copy (copy_file_range)
// elsewhere: on ext4, 2 to 4 s per gigabyte of image (docs/performance.md).

import { constants } from "node:fs";
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { withTempDir } from "./atomic-output.ts";
import type { BuiltImage } from "./image-plan.ts";
import type { LayoutFile, LayoutOptions, WrittenImage } from "./layout-contents.ts";
import { ociLayoutContents } from "./layout-contents.ts";

/** Write `image` as an OCI layout at `dir`, replacing whatever is there only once the new layout is whole. */
export async function writeOciLayout(
  dir: string,
  image: BuiltImage,
  options: LayoutOptions = {},
): Promise<WrittenImage> {
  const { files, written } = await ociLayoutContents(image, options);
  await withTempDir(dir, async (tmp) => {
    await mkdir(join(tmp, "blobs", "sha256"), { recursive: true });
    for (const file of files) await placeFile(tmp, file);
  });
  return written;
}

async function placeFile(root: string, file: LayoutFile): Promise<void> {
  const target = join(root, file.name);
  await mkdir(dirname(target), { recursive: true });
  if ("bytes" in file) {
    await writeFile(target, file.bytes, { flag: "wx" });
    return;
  }
  await copyFile(file.source, target, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
}
