// The ArtifactStore (src/oci/artifact-store.ts) of one registry repository,
// so that signing, verifying and attesting work against a registry exactly
// as against an OCI layout. Manifests with a `subject` are also recorded in
// the referrers fallback index when the registry does not index them itself.

import { CudasealError, isCudasealError } from "../errors.ts";
import type { ArtifactStore, StoredManifest } from "../oci/artifact-store.ts";
import { type Descriptor, sha256Digest } from "../oci/descriptor.ts";
import { blobSize, getBlob } from "./blob-read.ts";
import { bytesBlob, uploadBlob } from "./blob-upload.ts";
import type { RegistryClientOptions } from "./client.ts";
import { parseRegistryRef, type RegistryRef } from "./reference.ts";
import { addFallbackReferrer, listReferrers } from "./referrers.ts";
import { openRepository, type Repository } from "./repository.ts";

/**
 * The store of the repository `reference` names (`registry.example/team/cuda`,
 * or with `docker://`; a tag or digest in it is ignored: the store is the
 * whole repository). Nothing is contacted until the first call.
 */
export async function openRegistryStore(
  reference: string | RegistryRef,
  options: RegistryClientOptions = {},
): Promise<ArtifactStore> {
  const ref = typeof reference === "string" ? parseRegistryRef(reference) : reference;
  return new RegistryStore(openRepository(ref.registry, ref.repository, options));
}

/** An ArtifactStore over a repository already opened. */
export class RegistryStore implements ArtifactStore {
  readonly repository: Repository;

  constructor(repository: Repository) {
    this.repository = repository;
  }

  get name(): string {
    return this.repository.label;
  }

  getManifest(reference: string): Promise<StoredManifest | undefined> {
    return this.repository.getManifest(reference);
  }

  async getBlob(digest: string, maxBytes: number): Promise<Buffer> {
    try {
      return await getBlob(this.repository, digest, maxBytes);
    } catch (err) {
      // The store's contract: an oversized or altered blob is IMAGE_INVALID, wherever it lives.
      if (isCudasealError(err, "REGISTRY_TOO_LARGE") || isCudasealError(err, "REGISTRY_DIGEST_MISMATCH"))
        throw new CudasealError("IMAGE_INVALID", err.message, {
          hint: err.hint,
          cause: err,
          details: { ...err.details, registryError: err.code },
        });
      throw err;
    }
  }

  async putBlob(bytes: Uint8Array, mediaType: string): Promise<Descriptor> {
    const digest = sha256Digest(bytes);
    if ((await blobSize(this.repository, digest, [this.repository.pushScope])) === undefined)
      await uploadBlob(this.repository, bytesBlob(bytes, { digest, mediaType }));
    return { mediaType, digest, size: bytes.length };
  }

  async putManifest(bytes: Uint8Array, mediaType: string, tag?: string): Promise<Descriptor> {
    const { digest, subjectAccepted } = await this.repository.putManifest(bytes, mediaType, tag);
    const desc: Descriptor = { mediaType, digest, size: bytes.length };
    const doc = parseSubject(bytes);
    if (doc.artifactType !== undefined) desc.artifactType = doc.artifactType;
    if (doc.annotations !== undefined) desc.annotations = doc.annotations;
    if (doc.subject !== undefined && !subjectAccepted)
      await addFallbackReferrer(this.repository, doc.subject, desc);
    return desc;
  }

  async referrers(digest: string, artifactType?: string, limit = Infinity): Promise<Descriptor[]> {
    return (await listReferrers(this.repository, digest, artifactType, limit)).slice(0, limit);
  }
}

/** A manifest's subject digest and the fields a referrers index repeats. */
function parseSubject(bytes: Uint8Array): {
  subject?: string;
  artifactType?: string;
  annotations?: Record<string, string>;
} {
  try {
    const doc = JSON.parse(Buffer.from(bytes).toString("utf8")) as {
      subject?: { digest?: unknown };
      artifactType?: unknown;
      config?: { mediaType?: unknown };
      annotations?: unknown;
    };
    const subject = typeof doc.subject?.digest === "string" ? doc.subject.digest : undefined;
    // The spec: a referrer's artifactType is its own, else its config's media type.
    const artifactType =
      typeof doc.artifactType === "string"
        ? doc.artifactType
        : typeof doc.config?.mediaType === "string" && subject !== undefined
          ? doc.config.mediaType
          : undefined;
    const annotations =
      doc.annotations !== null && typeof doc.annotations === "object"
        ? (doc.annotations as Record<string, string>)
        : undefined;
    return { subject, artifactType, annotations };
  } catch {
    return {};
  }
}
