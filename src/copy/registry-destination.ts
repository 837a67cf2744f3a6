// A registry repository as a copy's destination: blobs uploaded (mounted
// where the registry holds them in another repository), manifests put by
// digest, referrers recorded in the fallback index where the registry has no
// referrers API, and the root put under its tag (or its digest).

import { CudasealError } from "../errors.ts";
import {
  addFallbackReferrer,
  blobSize,
  openRepository,
  type RegistryRef,
  uploadBlob,
} from "../registry/index.ts";
import type { CopyDestination, DestinationOptions } from "./destination.ts";
import { referrerDescriptor } from "./referrer-descriptor.ts";

/** The repository `ref` names, to copy into. */
export function registryDestination(
  ref: RegistryRef,
  options: DestinationOptions,
  label: string,
): CopyDestination {
  const repo = openRepository(ref.registry, ref.repository, options.registry);
  return {
    label,
    registry: { registry: ref.registry, repository: ref.repository },
    hasBlob: async (desc) => (await blobSize(repo, desc.digest, [repo.pushScope])) !== undefined,
    putBlob: (blob, o) =>
      uploadBlob(repo, blob, { chunkSize: options.chunkSize, mountFrom: o.mountFrom, onBytes: o.onBytes }),
    async putManifest(m) {
      await repo.putManifest(m.bytes, m.mediaType, m.digest);
    },
    async putReferrer(m) {
      const { subjectAccepted } = await repo.putManifest(m.bytes, m.mediaType, m.digest);
      const { subject, desc } = referrerDescriptor(m);
      if (subject !== undefined && !subjectAccepted) await addFallbackReferrer(repo, subject, desc);
    },
    tagged: (tag) => repo.getManifest(tag, [repo.pushScope]),
    async putTagged(m, tag) {
      await repo.putManifest(m.bytes, m.mediaType, tag);
    },
    async finish(root) {
      if (ref.digest !== undefined && ref.digest !== root.digest)
        throw new CudasealError("USAGE", `${label} names ${ref.digest}, but the image is ${root.digest}`, {
          hint: "push to a tag, or to the image's own digest",
        });
      await repo.putManifest(
        root.bytes,
        root.mediaType,
        ref.tag ?? (ref.digest === undefined ? "latest" : root.digest),
      );
    },
    // Blobs a registry received without a manifest naming them are its garbage collector's.
    abort: async () => undefined,
  };
}
