// An OCI layout directory (`oci:DIR[:TAG]`) as a copy's destination: blobs
// written to a temporary name and renamed into a staging folder only when
// their checked read has passed whole, then published with index.json
// naming the root by tag (layout-staging.ts). A layout that already exists
// keeps its other images; a copy that fails leaves the layout as it was, or
// absent.

import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { CudasealError } from "../errors.ts";
import type { StoredManifest } from "../oci/artifact-store.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { blobName } from "../oci/layout-contents.ts";
import { ANNOTATION_REF_NAME, OCI_INDEX } from "../oci/media-types.ts";
import { directoryFiles } from "../source/blob-files.ts";
import { MAX_JSON } from "../source/image-json.ts";
import { layoutReader } from "../source/layout-reader.ts";
import { writeFileAtomic } from "../util/atomic-file.ts";
import { onDiskFull } from "../util/disk-full.ts";
import { readRegularFile } from "../util/read-regular-file.ts";
import { counting, once } from "./byte-sources.ts";
import type { CopyDestination } from "./destination.ts";
import { cosignEntry, rootEntry } from "./index-entries.ts";
import { discardStaging, type LayoutStaging, openStaging, publishStaging } from "./layout-staging.ts";
import { referrerDescriptor } from "./referrer-descriptor.ts";

/** What finish adds to index.json besides the root. */
interface IndexAdditions {
  /** Referrers, listed untagged with their artifactType, as the layout writer lists SBOMs. */
  referrers: Descriptor[];
  /** cosign's tags, each moved to the manifest the copy planned. */
  tagged: Map<string, Descriptor>;
}

/** The layout at `dir`, to copy into; the root is named `tag` when given. */
export function layoutDestination(dir: string, tag: string | undefined, label: string): CopyDestination {
  const additions: IndexAdditions = { referrers: [], tagged: new Map() };
  // Made on the first write; nothing of the copy is in the layout until finish publishes it.
  let staging: Promise<LayoutStaging> | undefined;
  const stage = () => {
    staging ??= openStaging(dir);
    return staging;
  };
  const writeBlob = (digest: string, source: AsyncIterable<Uint8Array>) =>
    onDiskFull("output", dir, async () => stageBlob((await stage()).root, digest, source));
  const writeManifest = (m: StoredManifest) => writeBlob(m.digest, once(m.bytes));
  // What the layout holds now, read as any image reader reads a layout.
  const existing = layoutReader(directoryFiles(dir), {}, label);
  return {
    label,
    async hasBlob(desc) {
      const folders = staging === undefined ? [dir] : [dir, (await staging).root];
      for (const folder of folders) {
        const size = await stat(join(folder, blobName(desc.digest))).then(
          (st) => st.size,
          () => undefined,
        );
        if (size === desc.size) return true;
      }
      return false;
    },
    async putBlob(blob, o) {
      await writeBlob(blob.digest, counting(blob.open(), o.onBytes));
      return "uploaded";
    },
    putManifest: writeManifest,
    async putReferrer(m) {
      await writeManifest(m);
      additions.referrers.push(referrerDescriptor(m).desc);
    },
    tagged: (t) => existing.tagged(t),
    async putTagged(m, t) {
      await writeManifest(m);
      additions.tagged.set(t, cosignEntry(m, t));
    },
    async finish(root) {
      await writeManifest(root);
      const writeIndex = (folder: string) => updateIndex(folder, dir, root, tag, additions);
      await onDiskFull("output", dir, async () => publishStaging(await stage(), dir, writeIndex));
      staging = undefined;
    },
    async abort() {
      const started = staging;
      staging = undefined;
      const opened = await started?.catch(() => undefined);
      if (opened !== undefined) await discardStaging(opened);
    },
  };
}

/**
 * Write `digest`'s bytes from `source` into the staging folder `root`,
 * renamed into place only when the whole stream has passed: every source a
 * copy reads from fails its stream at the end unless digest and size match
 * (ImageReader.blob), so the bytes are hashed there, once.
 */
async function stageBlob(root: string, digest: string, source: AsyncIterable<Uint8Array>): Promise<void> {
  const final = join(root, blobName(digest));
  const tmp = `${final}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await pipeline(source, createWriteStream(tmp, { flags: "wx" }));
    await rename(tmp, final);
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Write `folder/index.json`: the one there (a new layout's is written in its
 * staging folder before it is renamed into place; an existing one's under its
 * index lock, so a sign or attest writing it meanwhile keeps its entries)
 * with the root under `tag` and the copy's referrers and cosign tags.
 */
async function updateIndex(
  folder: string,
  dir: string,
  root: StoredManifest,
  tag: string | undefined,
  additions: IndexAdditions,
): Promise<void> {
  const indexPath = join(folder, "index.json");
  const index = await readIndex(indexPath, dir);
  const entry = rootEntry(root, tag);
  // The tag moves to the new image; an untagged copy replaces an untagged entry of the same digest.
  index.manifests = index.manifests.filter((d) =>
    tag !== undefined ? d.annotations?.[ANNOTATION_REF_NAME] !== tag : d.digest !== root.digest,
  );
  index.manifests.push(entry);
  for (const r of additions.referrers)
    if (!index.manifests.some((d) => d.digest === r.digest)) index.manifests.push(r);
  // cosign's tags move to what the copy planned (the source's, or a merge of both).
  for (const [t, tagEntry] of additions.tagged) {
    index.manifests = index.manifests.filter((d) => d.annotations?.[ANNOTATION_REF_NAME] !== t);
    index.manifests.push(tagEntry);
  }
  await writeFileAtomic(indexPath, `${JSON.stringify(index)}\n`);
}

type LayoutIndex = { schemaVersion: number; mediaType?: string; manifests: Descriptor[] };

/** The index.json at `indexPath`, or a new empty one where there is none. */
async function readIndex(indexPath: string, dir: string): Promise<LayoutIndex> {
  try {
    const raw = await readRegularFile(indexPath, { what: "layout index.json", max: MAX_JSON });
    const index = JSON.parse(raw.toString("utf8")) as LayoutIndex;
    if (index === null || typeof index !== "object" || !Array.isArray(index.manifests))
      throw new CudasealError("IMAGE_INVALID", `${dir}/index.json lists no manifests`, {
        hint: "copy into an empty folder, or repair the layout's index.json",
      });
    return index;
  } catch (err) {
    if (err instanceof CudasealError) throw err;
    if ((err as NodeJS.ErrnoException).code !== "ENOENT")
      throw new CudasealError("IMAGE_INVALID", `${dir}/index.json is not an OCI index`, { cause: err });
    return { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] };
  }
}
