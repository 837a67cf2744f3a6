// An OCI image layout as an image reader (types.ts), wherever its files lie:
// a directory (`oci:`), one tar file (`oci-archive:`), or the layout inside a
// Docker 25 archive. index.json names the images, by tag (the OCI ref name)
// or by the full `name:tag` Docker records; a reference may also name one
// manifest or index by its digest. Artifacts (SBOMs, signatures) sit in it
// untagged with their artifactType, cosign's tags under their tag. Every
// manifest and JSON blob is checked against its digest before it is
// used; blobs are checked as they stream.

import { CudasealError } from "../errors.ts";
import type { StoredManifest } from "../oci/artifact-store.ts";
import { type Descriptor, sha256Digest } from "../oci/descriptor.ts";
import { blobName } from "../oci/layout-contents.ts";
import {
  ANNOTATION_CONTAINERD_NAME,
  ANNOTATION_REF_NAME,
  mediaTypeInManifest,
  OCI_MANIFEST,
} from "../oci/media-types.ts";
import { MAX_MANIFEST } from "../registry/index.ts";
import { type BlobFiles, fileBlob } from "./blob-files.ts";
import { checkedBlob } from "./checked-blob.ts";
import { sameImageName } from "./docker-name.ts";
import { MAX_JSON, parseJson } from "./image-json.ts";
import { MAX_REFERRERS, tooManyReferrers } from "./referrer-cap.ts";
import type { ImageReader, ImageRoot } from "./types.ts";

/** Which entries of index.json a reference names: by OCI ref name (a tag), or by the full `name:tag` Docker records; or one manifest by digest. */
export interface LayoutSelector {
  tag?: string;
  name?: string;
  digest?: string;
}

/** The layout in `files` as an image reader; `label` is the reference as typed. */
export function layoutReader(files: BlobFiles, select: LayoutSelector, label: string): ImageReader {
  const index = () => indexEntries(files, label);
  const manifest = (desc: Descriptor) => readManifest(files, desc, label);
  return {
    label,
    async root() {
      const entries = await index();
      if (entries === undefined)
        throw new CudasealError("IMAGE_INVALID", `${label} is not an OCI image layout (no index.json)`);
      if (select.digest !== undefined) return digestRoot(files, entries, select.digest, label);
      return selectEntries(entries, select, label);
    },
    manifest,
    async blobBytes(desc, max) {
      const bytes = await files.read(blobName(desc.digest), max);
      if (bytes === undefined)
        throw new CudasealError("IMAGE_INVALID", `${label}: blob ${desc.digest} is missing`);
      return checkDigest(bytes, desc.digest, `${label}: blob ${desc.digest}`);
    },
    blob: (desc) => checkedBlob(fileBlob(files, blobName(desc.digest), desc), label),
    async tagged(tag) {
      // The last entry of a tag wins, as the layout store reads it.
      const entry = (await index())?.findLast((d) => d.annotations?.[ANNOTATION_REF_NAME] === tag);
      return entry === undefined ? undefined : manifest(entry);
    },
    async referrers(digests) {
      // Artifacts sit in index.json untagged, with their artifactType (the layout writer's way).
      const found: StoredManifest[] = [];
      const counts = new Map<string, number>();
      for (const entry of (await index()) ?? []) {
        if (entry.artifactType === undefined || entry.annotations?.[ANNOTATION_REF_NAME] !== undefined)
          continue;
        const m = await manifest(entry);
        const subject = (parseJson(m.bytes, `${label}@${m.digest}`).subject as Descriptor | undefined)
          ?.digest;
        if (subject === undefined || !digests.has(subject)) continue;
        found.push(m);
        const count = (counts.get(subject) ?? 0) + 1;
        counts.set(subject, count);
        // Refused as soon as one subject passes the cap: no more manifests are read.
        if (count > MAX_REFERRERS) throw tooManyReferrers(label, subject, count);
      }
      return found;
    },
  };
}

/** The entries of index.json; undefined when the layout has none. */
async function indexEntries(files: BlobFiles, label: string): Promise<Descriptor[] | undefined> {
  const raw = await files.read("index.json", MAX_JSON);
  if (raw === undefined) return undefined;
  const index = parseJson(raw, `${label}: index.json`);
  if (!Array.isArray(index.manifests))
    throw new CudasealError("IMAGE_INVALID", `${label}: index.json lists no manifests`);
  return index.manifests as Descriptor[];
}

/** The entries `select` names (all of them when it names none); IMAGE_INVALID when it names none there is. */
function selectEntries(entries: Descriptor[], select: LayoutSelector, label: string): ImageRoot {
  const wanted = select.tag ?? select.name;
  if (wanted === undefined) return { entries };
  const named = entries.filter((d) => {
    if (select.tag !== undefined) return d.annotations?.[ANNOTATION_REF_NAME] === select.tag;
    const full = d.annotations?.[ANNOTATION_CONTAINERD_NAME];
    return full !== undefined && sameImageName(full, wanted);
  });
  if (named.length === 0) {
    const have = entries.map((d) => d.annotations?.[ANNOTATION_REF_NAME]).filter((t) => t !== undefined);
    throw new CudasealError("IMAGE_INVALID", `${label} has no image called ${wanted}`, {
      hint: have.length > 0 ? `it has ${have.join(", ")}` : "it has no named images",
      details: { available: have },
    });
  }
  return { entries: named };
}

/**
 * The manifest or index `digest` names: listed in index.json, or below an
 * index there (one platform's manifest); IMAGE_INVALID when the layout has
 * no such blob.
 */
async function digestRoot(
  files: BlobFiles,
  entries: Descriptor[],
  digest: string,
  label: string,
): Promise<ImageRoot> {
  const listed = entries.find((d) => d.digest === digest);
  if (listed === undefined && (await files.size(blobName(digest))) === undefined)
    throw new CudasealError("IMAGE_INVALID", `${label}: the layout has no manifest ${digest}`, {
      hint: "name an image of the layout by its tag or the digest of its manifest",
    });
  // A manifest index.json does not list carries its media type in itself.
  return { manifest: await readManifest(files, listed ?? { mediaType: "", digest, size: 0 }, label) };
}

/** A manifest or index of the layout, checked against its descriptor's digest. */
async function readManifest(files: BlobFiles, desc: Descriptor, label: string): Promise<StoredManifest> {
  const bytes = await files.read(blobName(desc.digest), MAX_MANIFEST);
  if (bytes === undefined)
    throw new CudasealError("IMAGE_INVALID", `${label}: manifest ${desc.digest} is missing`);
  checkDigest(bytes, desc.digest, `${label}: manifest ${desc.digest}`);
  return {
    digest: desc.digest,
    mediaType: desc.mediaType || (mediaTypeInManifest(bytes) ?? OCI_MANIFEST),
    bytes,
  };
}

function checkDigest(bytes: Buffer, digest: string, what: string): Buffer {
  const actual = sha256Digest(bytes);
  if (actual !== digest)
    throw new CudasealError("IMAGE_INVALID", `${what} does not match its digest (${actual})`, {
      hint: "the image is corrupt or was tampered with",
    });
  return bytes;
}
