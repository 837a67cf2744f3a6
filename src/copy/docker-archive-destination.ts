// `docker-archive:FILE[:NAME:TAG]` as a copy's destination: what `docker
// save` writes since Docker 25 (src/oci/docker-archive.ts). One platform
// (`--arch`, else the host's), named NAME:TAG from the destination, else
// after the source's registry reference or docker-archive name, else left
// untagged; no referrers or cosign tags, which `docker load` has no place for.

import { CudasealError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import {
  type DockerRef,
  dockerArchiveFiles,
  dockerIndexEntry,
  parseDockerRef,
} from "../oci/docker-archive.ts";
import { LayoutBuilder } from "../oci/layout-contents.ts";
import type { DockerArchiveRef } from "../source/docker-archive-source.ts";
import { parseJson } from "../source/image-json.ts";
import { archiveDestination } from "./archive-destination.ts";
import type { CopyDestination, DestinationOptions } from "./destination.ts";

/** The Docker archive `ref` names, written afresh; its name is checked before anything is read or written. */
export function dockerArchiveDestination(
  ref: DockerArchiveRef,
  options: DestinationOptions,
  label: string,
): Promise<CopyDestination> {
  const name = dockerName(ref, options.sourceName, label);
  return archiveDestination(ref.file, label, {
    onePlatform: true,
    referrers: false,
    indexFiles: (root) => {
      const manifest = parseJson(root.bytes, `${label}@${root.digest}`);
      const config = manifest.config as Descriptor | undefined;
      const layers = manifest.layers as Descriptor[] | undefined;
      if (config === undefined || !Array.isArray(layers))
        throw new CudasealError(
          "IMAGE_INVALID",
          `${label}: a Docker archive holds one image manifest, not an index`,
          {
            hint: "choose one platform with --arch",
          },
        );
      const entry = dockerIndexEntry(
        { mediaType: root.mediaType, digest: root.digest, size: root.bytes.length },
        name,
      );
      // index.json and oci-layout, with manifest.json and repositories naming the same blobs.
      return dockerArchiveFiles(
        new LayoutBuilder(false).finish([entry]),
        config.digest,
        layers.map((l) => l.digest),
        name,
      );
    },
  });
}

/** The name the archive gives the image: the destination's (USAGE when Docker would refuse it), else the source's when it has a valid one. */
function dockerName(
  ref: DockerArchiveRef,
  sourceName: string | undefined,
  label: string,
): DockerRef | undefined {
  try {
    if (ref.name !== undefined) return parseDockerRef(ref.name);
  } catch (err) {
    throw new CudasealError("USAGE", `${label}: ${(err as CudasealError).message}`, {
      hint: "name the image as docker-archive:FILE:NAME:TAG, e.g. docker-archive:app.tar:app:1.0",
      cause: err,
    });
  }
  // Untagged when the source names none: `docker load` then lists it by ID, as for `docker save ID`.
  try {
    return sourceName === undefined ? undefined : parseDockerRef(sourceName);
  } catch {
    return undefined;
  }
}
