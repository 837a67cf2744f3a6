// `oci:DIR[:TAG]` or `oci:DIR@sha256:…`: an OCI image layout directory, read
// where it lies.

import { directoryFiles } from "./blob-files.ts";
import { layoutReader } from "./layout-reader.ts";
import { formatPathTag, parsePathTag } from "./ref-syntax.ts";
import type { Transport } from "./types.ts";

/** An OCI layout directory, and the image in it by tag or digest (the only one when neither is named). */
export interface OciDirRef {
  transport: "oci";
  dir: string;
  tag?: string;
  digest?: string;
}

export const ociDirectory: Transport<OciDirRef> = {
  name: "oci",
  parse(text) {
    const p = parsePathTag(text, "oci");
    if (p === undefined) return undefined;
    const { path, ...at } = p;
    return { transport: "oci", dir: path, ...at };
  },
  format: (ref) => formatPathTag("oci", { path: ref.dir, tag: ref.tag, digest: ref.digest }),
  open: async (ref) =>
    layoutReader(directoryFiles(ref.dir), { tag: ref.tag, digest: ref.digest }, ociDirectory.format(ref)),
};
