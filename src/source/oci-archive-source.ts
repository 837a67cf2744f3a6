// `oci-archive:FILE[:TAG]`: an OCI image layout in one tar file, read in
// place through an index of the archive (tar-index.ts).

import { layoutReader } from "./layout-reader.ts";
import { formatPathTag, parsePathTag } from "./ref-syntax.ts";
import { indexTar } from "./tar-index.ts";
import type { Transport } from "./types.ts";

/** An OCI archive, and the image in it by tag (the only one when none is named). */
export interface OciArchiveRef {
  transport: "oci-archive";
  file: string;
  tag?: string;
}

export const ociArchive: Transport<OciArchiveRef> = {
  name: "oci-archive",
  parse(text) {
    const p = parsePathTag(text, "oci-archive");
    return p && { transport: "oci-archive", file: p.path, ...(p.tag === undefined ? {} : { tag: p.tag }) };
  },
  format: (ref) => formatPathTag("oci-archive", ref.file, ref.tag),
  open: async (ref) => layoutReader(await indexTar(ref.file), { tag: ref.tag }, ociArchive.format(ref)),
};
