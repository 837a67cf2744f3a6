// `oci-archive:FILE[:TAG]` as a copy's destination: the whole image, the tag,
// referrers and cosign's tags, as the `oci:` destination holds them, in one
// tar. Every digest is the source's.

import { LayoutBuilder } from "../oci/layout-contents.ts";
import type { OciArchiveRef } from "../source/oci-archive-source.ts";
import { archiveDestination } from "./archive-destination.ts";
import type { CopyDestination } from "./destination.ts";
import { rootEntry } from "./index-entries.ts";

/** The OCI archive `ref` names, written afresh. */
export function ociArchiveDestination(
  ref: OciArchiveRef,
  _options: unknown,
  label: string,
): Promise<CopyDestination> {
  return archiveDestination(ref.file, label, {
    // index.json: the root under the tag, then the referrers and cosign's tags; and oci-layout.
    indexFiles: (root, parts) =>
      new LayoutBuilder(false).finish([
        rootEntry(root, ref.tag),
        ...parts.referrers,
        ...parts.tagged.values(),
      ]),
  });
}
