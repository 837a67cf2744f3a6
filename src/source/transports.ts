// Every transport an image reference may name, in one table. Each is one file
// of this folder that parses its part of the reference syntax, writes it back
// and opens the image for reading (types.ts, Transport). Adding a transport
// is a file and a line here, and, if images can be written to it, a writer in
// src/copy/destinations.ts.

import { CudasealError } from "../errors.ts";
import { dockerArchive } from "./docker-archive-source.ts";
import { ociArchive } from "./oci-archive-source.ts";
import { ociDirectory } from "./oci-dir-source.ts";
import { registry } from "./registry-source.ts";
import type { Transport } from "./types.ts";

/** In the order references are tried: prefixed ones first, then the bare registry name. */
export const TRANSPORTS = [ociDirectory, ociArchive, dockerArchive, registry] as const;

type RefOf<T> = T extends Transport<infer R> ? R : never;

/** A parsed image reference: its transport's name and where the image lies. */
export type ImageRef = RefOf<(typeof TRANSPORTS)[number]>;

/** The transport of `ref`. */
export function transportOf<R extends ImageRef>(ref: R): Transport<R> {
  const transport = TRANSPORTS.find((t) => t.name === ref.transport);
  if (transport === undefined)
    throw new CudasealError("USAGE", `no image transport is called ${JSON.stringify(ref.transport)}`, {
      hint: "name an image as oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE or HOST/REPO[:TAG]",
    });
  return transport as unknown as Transport<R>;
}
