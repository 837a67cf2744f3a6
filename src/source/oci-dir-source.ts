// `oci:DIR[:TAG]`: an OCI image layout directory, read where it lies.

import { directoryFiles } from "./blob-files.ts";
import { layoutReader } from "./layout-reader.ts";
import { formatPathTag, parsePathTag } from "./ref-syntax.ts";
import type { Transport } from "./types.ts";

/** An OCI layout directory, and the image in it by tag (the only one when none is named). */
export interface OciDirRef {
  transport: "oci";
  dir: string;
  tag?: string;
}

export const ociDirectory: Transport<OciDirRef> = {
  name: "oci",
  parse(text) {
    const p = parsePathTag(text, "oci");
    return p && { transport: "oci", dir: p.path, ...(p.tag === undefined ? {} : { tag: p.tag }) };
  },
  format: (ref) => formatPathTag("oci", ref.dir, ref.tag),
  open: async (ref) => layoutReader(directoryFiles(ref.dir), { tag: ref.tag }, ociDirectory.format(ref)),
};
