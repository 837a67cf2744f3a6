// Writes an image as an OCI image layout directory, the form `skopeo`,
// `umoci` and `podman` read as `oci:DIR:TAG`. Layer files are hardlinked
// from the cache where the output is on the same filesystem (no copy of
// gigabytes of CUDA libraries), reflinked or copied where it is not.

import { constants } from "node:fs";
import { copyFile, link, mkdir, writeFile } from "node:fs/promises";
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
  try {
    await link(file.source, target);
  } catch (err) {
    // EXDEV: another filesystem. EPERM: fs.protected_hardlinks, or a
    // filesystem without hardlinks. Either way a copy does the job.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EXDEV" && code !== "EPERM" && code !== "EMLINK" && code !== "ENOTSUP") throw err;
    await copyFile(file.source, target, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
  }
}
