// `oci-archive:FILE[:TAG]` or `oci-archive:FILE@sha256:…`: an OCI image
// layout in one tar file, read in place through an index of the archive
// (tar-index.ts).

import { layoutReader } from "./layout-reader.ts";
import { formatPathTag, parsePathTag } from "./ref-syntax.ts";
import { indexTar } from "./tar-index.ts";
import type { Transport } from "./types.ts";

/** An OCI archive, and the image in it by tag or digest (the only one when neither is named). */
export interface OciArchiveRef {
  transport: "oci-archive";
  file: string;
  tag?: string;
  digest?: string;
}

export const ociArchive: Transport<OciArchiveRef> = {
  name: "oci-archive",
  parse(text) {
    const p = parsePathTag(text, "oci-archive");
    if (p === undefined) return undefined;
    const { path, ...at } = p;
    return { transport: "oci-archive", file: path, ...at };
  },
  format: (ref) => formatPathTag("oci-archive", { path: ref.file, tag: ref.tag, digest: ref.digest }),
  open: async (ref) =>
    layoutReader(await indexTar(ref.file), { tag: ref.tag, digest: ref.digest }, ociArchive.format(ref)),
};
