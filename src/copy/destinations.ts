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
  oci: (ref, _options, label) => layoutDestination(ref.dir, ref.tag, label),
  "oci-archive": ociArchiveDestination,
  "docker-archive": dockerArchiveDestination,
  docker: registryDestination,
};

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
