// Copying to an archive: every blob goes straight into the tar as the copy
// delivers it (archive-stream.ts), checked against its descriptor on the way,
// and the index files last, once the root is known; nothing is staged on disk
// beside the archive, which is renamed into place only once it is whole. An
// archive is written afresh: it holds this image only. Each archive transport
// (oci-archive-destination.ts, docker-archive-destination.ts) says what its
// index files hold.

import { mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { StoredManifest } from "../oci/artifact-store.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { blobName, type LayoutFile } from "../oci/layout-contents.ts";
import { ArchiveStream } from "./archive-stream.ts";
import { counting, once } from "./byte-sources.ts";
import type { CopyDestination } from "./destination.ts";
import { cosignEntry } from "./index-entries.ts";
import { referrerDescriptor } from "./referrer-descriptor.ts";

/** What the copy put in the archive besides the image: index.json lists them. */
export interface ArchiveIndexParts {
  /** Referrers, untagged with their artifactType, as a layout lists SBOMs. */
  referrers: Descriptor[];
  /** cosign's tags, by tag, each with cosign's artifact type. */
  tagged: Map<string, Descriptor>;
}

export interface ArchiveOptions {
  /** The files after the blobs (index.json, oci-layout…), for the root the copy finished with. */
  indexFiles(root: StoredManifest, parts: ArchiveIndexParts): LayoutFile[];
  /** What the archive has room for (see CopyDestination). */
  onePlatform?: boolean;
  referrers?: boolean;
}

/** The archive `file`, written as the copy goes (its folder is made now). */
export async function archiveDestination(
  file: string,
  label: string,
  options: ArchiveOptions,
): Promise<CopyDestination> {
  const path = resolve(file);
  await mkdir(dirname(path), { recursive: true });
  const archive = new ArchiveStream(path);
  const added = new Set<string>();
  const parts: ArchiveIndexParts = { referrers: [], tagged: new Map() };
  const addBlob = async (digest: string, size: number, open: () => AsyncIterable<Uint8Array>) => {
    // A blob is content addressed: a second copy of it adds nothing.
    if (added.has(digest)) return;
    added.add(digest);
    await archive.add({ name: blobName(digest), size, digest, open });
  };
  const addManifest = (m: StoredManifest) => addBlob(m.digest, m.bytes.length, () => once(m.bytes));
  return {
    label,
    ...(options.onePlatform === undefined ? {} : { onePlatform: options.onePlatform }),
    ...(options.referrers === undefined ? {} : { referrers: options.referrers }),
    hasBlob: async (desc) => added.has(desc.digest),
    async putBlob(blob, o) {
      await addBlob(blob.digest, blob.size, () => counting(blob.open(), o.onBytes));
      return "uploaded";
    },
    putManifest: addManifest,
    async putReferrer(m) {
      await addManifest(m);
      parts.referrers.push(referrerDescriptor(m).desc);
    },
    // A new archive holds no tags to merge with.
    tagged: async () => undefined,
    async putTagged(m, tag) {
      await addManifest(m);
      parts.tagged.set(tag, cosignEntry(m, tag));
    },
    async finish(root) {
      try {
        await addManifest(root);
        for (const f of options.indexFiles(root, parts))
          await archive.add({ name: f.name, size: f.size, open: () => once(layoutFileBytes(f)) });
        await archive.commit();
      } catch (err) {
        await archive.abort(err);
        throw err;
      }
    },
    abort: () => archive.abort(),
  };
}

function layoutFileBytes(f: LayoutFile): Uint8Array {
  // The index files are made in memory; only blobs name a file on disk, and none is listed here.
  if (!("bytes" in f)) throw new Error(`${f.name}: an index file must be bytes`);
  return f.bytes;
}
