// The transports a copy can write, in one table: each is one file of this
// folder implementing CopyDestination. A transport missing here can be read
// (src/source/transports.ts) but not written.

import { CudasealError } from "../errors.ts";
import { formatImageRef, type ImageRef } from "../source/image-ref.ts";
import type { CopyDestination, DestinationOptions } from "./destination.ts";
import { dockerArchiveDestination } from "./docker-archive-destination.ts";
import { layoutDestination } from "./layout-destination.ts";
import { ociArchiveDestination } from "./oci-archive-destination.ts";
import { registryDestination } from "./registry-destination.ts";

type Opener<T extends ImageRef["transport"]> = (
  ref: Extract<ImageRef, { transport: T }>,
  options: DestinationOptions,
  label: string,
) => CopyDestination | Promise<CopyDestination>;

const DESTINATIONS: { readonly [T in ImageRef["transport"]]?: Opener<T> } = {
  oci: (ref, _options, label) => layoutDestination(ref.dir, byTag(ref, label), label),
  "oci-archive": (ref, options, label) =>
    ociArchiveDestination({ ...ref, tag: byTag(ref, label) }, options, label),
  "docker-archive": dockerArchiveDestination,
  docker: registryDestination,
};

/** The tag a layout is written under; USAGE for a digest, which names an image already there, not a place for one. */
function byTag(ref: { tag?: string; digest?: string }, label: string): string | undefined {
  if (ref.digest !== undefined)
    throw new CudasealError("USAGE", `cannot write images to ${label}: a layout is written by tag`, {
      hint: "name the layout with a tag (oci:DIR:TAG) or none",
    });
  return ref.tag;
}

/** Open `ref` as the destination of a copy; USAGE where images cannot be written. */
export async function openDestination(
  ref: ImageRef,
  options: DestinationOptions = {},
): Promise<CopyDestination> {
  const open = DESTINATIONS[ref.transport] as Opener<typeof ref.transport> | undefined;
  if (open === undefined)
    throw new CudasealError("USAGE", `cannot write images to ${formatImageRef(ref)}`, {
      hint: "copy to a registry (registry.example/repo:tag), an OCI layout (oci:DIR[:TAG]) or an archive",
    });
  return open(ref as never, options, formatImageRef(ref));
}
