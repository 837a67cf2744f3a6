// Writing one layer-cache entry to a registry, all or nothing: the layer
// blob (mounted from another cache repository of the same registry when one
// holds it), then the record, and the tagged manifest last, so a reader
// never finds a tag whose blobs are not there yet. An entry already tagged
// is left as it is (entries are keyed by their inputs, and the first one
// written stands), unless it was found poisoned.

import type { CachedLayer } from "../layer/layer-cache.ts";
import { sha256Digest } from "../oci/descriptor.ts";
import { OCI_MANIFEST } from "../oci/media-types.ts";
import { type BlobSource, blobSize, bytesBlob, type Repository, uploadBlob } from "../registry/index.ts";
import { regularFileStream } from "../util/read-regular-file.ts";
import { CACHE_RECORD_MEDIA_TYPE, cacheTag, entryDocuments } from "./cache-entry.ts";

/** Push the entry for `key`; "present" when the repository already has it (unless told to `replace` it). */
export async function pushEntry(
  repo: Repository,
  key: string,
  layer: CachedLayer<unknown>,
  mountFrom: readonly string[],
  replace = false,
): Promise<"pushed" | "present"> {
  const tag = cacheTag(key);
  if (!replace && (await repo.headManifest(tag)) !== undefined) return "present";
  const { path, ...blob } = layer.blob;
  const docs = entryDocuments({ key, blob, meta: layer.meta });
  const layerSource = fileBlob(path, blob);
  if ((await blobSize(repo, blob.digest, [repo.pushScope])) === undefined)
    await uploadBlob(repo, layerSource, { mountFrom });
  const recordDigest = sha256Digest(docs.record);
  if ((await blobSize(repo, recordDigest, [repo.pushScope])) === undefined)
    await uploadBlob(
      repo,
      bytesBlob(docs.record, { digest: recordDigest, mediaType: CACHE_RECORD_MEDIA_TYPE }),
    );
  await repo.putManifest(docs.manifest, OCI_MANIFEST, tag);
  return "pushed";
}

/** A blob in the content store, read afresh for each upload attempt. */
function fileBlob(path: string, desc: { digest: string; size: number; mediaType: string }): BlobSource {
  return {
    ...desc,
    async *open(start = 0, end = desc.size) {
      if (end <= start) return;
      yield* await regularFileStream(path, "cached layer", { start, end: end - 1 });
    },
  };
}
