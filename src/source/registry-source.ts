// `[docker://]host/repo[:tag][@sha256:…]`, parsed with Docker's rules
// (src/registry/reference.ts): a registry repository as an image reader
// (types.ts). Manifests by tag or digest, each checked against the digest it
// was asked by; configs read whole under a cap; layers streamed, checked
// when read whole (a range, for an upload resuming mid-blob, is skipped to);
// referrers by the API or its fallback tag; cosign's tags as tags.

import { CudasealError } from "../errors.ts";
import type { StoredManifest } from "../oci/artifact-store.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import {
  type BlobSource,
  formatRegistryRef,
  getBlob,
  listReferrers,
  looksLikeRegistryRef,
  manifestReference,
  openRepository,
  parseRegistryRef,
  type RegistryRef,
  type Repository,
  streamBlob,
  streamedBlob,
} from "../registry/index.ts";
import { MAX_REFERRERS, tooManyReferrers } from "./referrer-cap.ts";
import type { ImageReader, ReaderOptions, Transport } from "./types.ts";

/** A registry repository, and the image in it by tag or digest (`latest` when neither is named). */
export interface RegistryImageRef extends RegistryRef {
  transport: "docker";
}

export const registry: Transport<RegistryImageRef> = {
  name: "docker",
  parse: (text) =>
    looksLikeRegistryRef(text) ? { transport: "docker", ...parseRegistryRef(text) } : undefined,
  format: (ref) => `docker://${formatRegistryRef(ref)}`,
  open: async (ref, options) => registryReader(ref, options, registry.format(ref)),
  // Untagged when the reference names none: a digest is no name.
  imageName: (ref) => (ref.tag === undefined ? undefined : `${ref.registry}/${ref.repository}:${ref.tag}`),
};

/** The repository `ref` names as an image reader; `label` is the reference as typed. */
function registryReader(ref: RegistryRef, options: ReaderOptions, label: string): ImageReader {
  const repo = openRepository(ref.registry, ref.repository, options.registry);
  const get = async (reference: string): Promise<StoredManifest> => {
    const m = await repo.getManifest(reference);
    if (m === undefined)
      throw new CudasealError("REGISTRY_NOT_FOUND", `${repo.label} has no manifest ${reference}`, {
        hint: "check the repository name and tag",
        details: { registry: ref.registry, repository: ref.repository, reference },
      });
    return m;
  };
  return {
    label,
    origin: { registry: ref.registry, repository: ref.repository },
    root: async () => ({ manifest: await get(manifestReference(ref)) }),
    manifest: (desc) => get(desc.digest),
    blobBytes: (desc, max) => getBlob(repo, desc.digest, max),
    blob: (desc) => registryBlob(repo, desc),
    tagged: (tag) => repo.getManifest(tag),
    async referrers(digests) {
      const found: StoredManifest[] = [];
      for (const digest of digests) {
        const listed = await listReferrers(repo, digest, undefined, MAX_REFERRERS);
        // Each is fetched: a referrer bomb is refused after the one list read, not walked.
        if (listed.length > MAX_REFERRERS) throw tooManyReferrers(label, digest, listed.length);
        for (const d of listed) found.push(await get(d.digest));
      }
      return found;
    },
  };
}

/** A blob of `repo`: a whole read is checked by streamBlob itself; a range reads from the start and skips to it. */
function registryBlob(repo: Repository, desc: Descriptor): BlobSource {
  const read = () => streamBlob(repo, desc.digest, desc.size);
  const ranged = streamedBlob({ ...desc, mediaType: desc.mediaType ?? "" }, read);
  return {
    ...ranged,
    open: (start = 0, end = desc.size) =>
      start === 0 && end === desc.size ? read() : ranged.open(start, end),
  };
}
