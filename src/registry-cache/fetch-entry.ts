// Reading one layer-cache entry from a registry into the content store, and
// trusting nothing on the way: the manifest and the record must agree on the
// key and the blob (cache-entry.ts); the blob is streamed to a temporary
// file beside its place in the store, failing at its end unless it matches
// the digest and size both name; then it is decompressed and hashed again,
// and must match the record's diff id and uncompressed size, which go into
// the image config unread otherwise. Only then is it committed to the store
// under its digest. A blob that does not match is CACHE_ENTRY_POISONED.

import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { Readable, type Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createZstdDecompress } from "node:zlib";
import type { ContentStore } from "../cache/content-store.ts";
import { isCudasealError } from "../errors.ts";
import type { CachedLayer } from "../layer/layer-cache.ts";
import { OCI_LAYER_ZSTD } from "../oci/media-types.ts";
import { getBlob, type Repository, streamBlob } from "../registry/index.ts";
import { regularFileStream } from "../util/read-regular-file.ts";
import { type CacheRecord, cacheTag, parseEntryManifest, parseRecord, poisoned } from "./cache-entry.ts";

/** Far more than the record of the largest layer, with a digest for each of its files (as the local cache allows). */
const MAX_RECORD = 256 * 1024 * 1024;

/**
 * The entry for `key` in `repo`, its blob verified and in `store`; undefined
 * when the repository has none. CACHE_ENTRY_POISONED when it lies; the
 * registry client's errors (unreachable, denied) as they are.
 */
export async function fetchEntry<M>(
  repo: Repository,
  key: string,
  store: ContentStore,
  isMeta: (meta: unknown) => meta is M,
): Promise<CachedLayer<M> | undefined> {
  const where = repo.label;
  const manifest = await poisonedOnMismatch(key, where, () => repo.getManifest(cacheTag(key)));
  if (manifest === undefined) return undefined;
  const { record: recordDesc, layer } = parseEntryManifest(manifest.bytes, key, where);
  const recordBytes = await poisonedOnMismatch(key, where, () =>
    getBlob(repo, recordDesc.digest, MAX_RECORD),
  );
  const record = parseRecord(recordBytes, key, layer, where);
  // Before its blob is fetched: a meta the build would trip on is the entry's lie.
  const meta = record.meta;
  if (!isMeta(meta))
    throw poisoned(key, where, "its record's meta is not what the build writes for this layer");
  const hex = layer.digest.slice("sha256:".length);
  // Another worker on this machine may have brought the same blob in meanwhile.
  const have = await store.lookup(hex, layer.size);
  if (have !== undefined) {
    await checkUnpacked(have, record, where);
    return { blob: { ...record.blob, path: have }, meta };
  }
  const tmp = await store.tempPath(hex);
  try {
    await poisonedOnMismatch(key, where, () =>
      pipeline(
        Readable.from(streamBlob(repo, layer.digest, layer.size)),
        createWriteStream(tmp, { flags: "wx" }),
      ),
    );
    await checkUnpacked(tmp, record, where);
    const path = await store.commit(tmp, hex);
    return { blob: { ...record.blob, path }, meta };
  } finally {
    await rm(tmp, { force: true });
  }
}

/** The blob at `path`, decompressed, must be the record's diff id and uncompressed size, and no more. */
async function checkUnpacked(path: string, record: CacheRecord, where: string): Promise<void> {
  const { blob, key } = record;
  const hash = createHash("sha256");
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      // A layer that unpacks past what its record says is refused as it grows, not after.
      if (bytes > blob.uncompressedSize) {
        done(
          poisoned(
            key,
            where,
            `its layer unpacks to more than the ${blob.uncompressedSize} bytes its record says`,
          ),
        );
        return;
      }
      hash.update(chunk);
      done();
    },
  });
  const unpack: Transform = blob.mediaType === OCI_LAYER_ZSTD ? createZstdDecompress() : createGunzip();
  try {
    await pipeline(await regularFileStream(path, "cached layer"), unpack, sink);
  } catch (err) {
    if (isCudasealError(err, "CACHE_ENTRY_POISONED")) throw err;
    throw poisoned(key, where, "its layer does not decompress", err);
  }
  const diffId = `sha256:${hash.digest("hex")}`;
  if (diffId !== blob.diffId || bytes !== blob.uncompressedSize)
    throw poisoned(key, where, `its layer's diff id is ${diffId}, not the ${blob.diffId} its record says`);
}

/** A blob or manifest that does not match its digest is the entry's lie, not the registry's failure. */
async function poisonedOnMismatch<T>(key: string, where: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (isCudasealError(err, "REGISTRY_DIGEST_MISMATCH") || isCudasealError(err, "REGISTRY_TOO_LARGE"))
      throw poisoned(key, where, "its content does not match its digest", err);
    throw err;
  }
}
