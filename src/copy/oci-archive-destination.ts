// `oci-archive:FILE[:TAG]` as a copy's destination: the whole image, the tag,
// referrers and cosign's tags, as the `oci:` destination holds them, in one
// tar. Every digest is the source's.

import { layoutDirectoryFiles, writeLayoutTar } from "../oci/layout-tar.ts";
import type { OciArchiveRef } from "../source/oci-archive-source.ts";
import { archiveDestination } from "./archive-destination.ts";
import type { CopyDestination } from "./destination.ts";

/** The OCI archive `ref` names, written afresh. */
export function ociArchiveDestination(
  ref: OciArchiveRef,
  _options: unknown,
  label: string,
): Promise<CopyDestination> {
  return archiveDestination(ref.file, label, {
    tag: ref.tag,
    pack: async (layout, file) => writeLayoutTar(file, await layoutDirectoryFiles(layout)),
  });
}
