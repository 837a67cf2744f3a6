// Image references in skopeo's transport:reference form, the one syntax every
// command that reads or writes an image takes: `oci:DIR[:TAG]`,
// `oci-archive:FILE[:TAG]`, `docker-archive:FILE[:NAME:TAG]`, and registry
// references (`[docker://]registry.example/repo[:tag][@sha256:…]`). Each
// transport parses its own (transports.ts); this finds which one a text is.

import { badReference } from "./ref-syntax.ts";
import { type ImageRef, TRANSPORTS, transportOf } from "./transports.ts";

export type { ImageRef } from "./transports.ts";

/** Parse an image reference of any transport; USAGE for anything else. */
export function parseImageRef(text: string): ImageRef {
  for (const transport of TRANSPORTS) {
    const ref = transport.parse(text);
    if (ref !== undefined) return ref;
  }
  const colon = text.indexOf(":");
  const prefix = colon > 0 ? text.slice(0, colon) : "";
  throw badReference(text, prefix === "" ? "no transport" : `unknown transport ${JSON.stringify(prefix)}`);
}

/** The reference written back in transport:reference form, for messages. */
export function formatImageRef(ref: ImageRef): string {
  return transportOf(ref).format(ref);
}

/** The Docker name (`host/repo:tag`, `name:tag`) the image goes by where `ref` names it, if any. */
export function imageNameOf(ref: ImageRef): string | undefined {
  return transportOf(ref).imageName?.(ref);
}
