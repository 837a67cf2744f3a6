// Copying to an archive, as skopeo does: the image is copied into a
// temporary OCI layout beside FILE (blobs streamed from the source and
// checked against their digests on the way in, as for any `oci:`
// destination), the layout is streamed into a tar by the writers the build
// uses (src/oci/layout-tar.ts), and the tar is renamed over FILE only once it
// is whole. The temporary layout is removed however the copy ends, Ctrl-C
// included. An archive is written afresh: it holds this image only. Each
// archive transport (oci-archive-destination.ts, docker-archive-destination.ts)
// says what its tar holds.

import { randomBytes } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { StoredManifest } from "../oci/artifact-store.ts";
import { release, removeOnInterrupt } from "../util/interrupt-cleanup.ts";
import type { CopyDestination } from "./destination.ts";
import { layoutDestination } from "./layout-destination.ts";

export interface ArchiveOptions {
  /** The tag the temporary layout names the root by. */
  tag?: string;
  /** Write the archive at `file` from the temporary layout at `layout`, whose root is `root`. */
  pack(layout: string, file: string, root: StoredManifest): Promise<void>;
  /** What the archive has room for (see CopyDestination). */
  onePlatform?: boolean;
  referrers?: boolean;
}

/** The archive `file`, written through a temporary layout beside it (its folder is made now). */
export async function archiveDestination(
  file: string,
  label: string,
  options: ArchiveOptions,
): Promise<CopyDestination> {
  const path = resolve(file);
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(
    dirname(path),
    `.${basename(path)}.layout-${process.pid}-${randomBytes(6).toString("hex")}`,
  );
  removeOnInterrupt(tmp);
  const layout = layoutDestination(tmp, options.tag, label);
  const cleanUp = async () => {
    await rm(tmp, { recursive: true, force: true });
    release(tmp);
  };
  return {
    ...layout,
    label,
    ...(options.onePlatform === undefined ? {} : { onePlatform: options.onePlatform }),
    ...(options.referrers === undefined ? {} : { referrers: options.referrers }),
    async finish(root) {
      try {
        await layout.finish(root);
        await options.pack(tmp, path, root);
      } finally {
        await cleanUp();
      }
    },
    async abort() {
      try {
        await layout.abort();
      } finally {
        await cleanUp();
      }
    },
  };
}
