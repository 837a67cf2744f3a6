// The one walk from what a reference names down to one platform's image, for
// every transport: an index (or an OCI layout's index.json) is followed to
// the entry for the platform asked for (choose-platform.ts), at most four
// levels deep; the manifest's config is read whole under a cap and checked;
// its layers are handed out as streams checked as they are read. And where a
// copy starts: the one manifest or index a reference names, narrowed to one
// platform's manifest when a platform is asked for.

import { CudasealError } from "../errors.ts";
import type { StoredManifest } from "../oci/artifact-store.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { checkConfigPlatform, choosePlatform } from "./choose-platform.ts";
import { hostArch } from "./host-arch.ts";
import { MAX_JSON, parseJson } from "./image-json.ts";
import { defaultLayoutEntry, noDefaultImage } from "./layout-default.ts";
import type { ImageReader, OpenedImage, SourceLayer } from "./types.ts";

/** How deep indexes may nest before the image is refused; a copy's walk of every platform holds to it too. */
export const MAX_INDEX_DEPTH = 4;

/** The manifest the walk arrived at, and how. */
interface Arrival {
  manifest: StoredManifest;
  doc: Record<string, unknown>;
  /** The outermost index passed (the multi-platform digest users push and sign). */
  indexDigest?: string;
  /** True when an index entry's platform chose it; false when it was the only image. */
  chosenByPlatform: boolean;
  /** True when the reader made the manifest (a classic Docker archive): the image goes by its config's digest. */
  made: boolean;
}

/** One platform of the image `reader` reads: `arch` (then a single-platform image must be for it too), else the host's. */
export async function openPlatform(reader: ImageReader, arch?: string): Promise<OpenedImage> {
  const at = await walkToManifest(reader, arch ?? hostArch(), arch !== undefined);
  const label = reader.label;
  const configDesc = at.doc.config as Descriptor | undefined;
  if (typeof configDesc?.digest !== "string")
    throw new CudasealError("IMAGE_INVALID", `${label}@${at.manifest.digest} has no config`);
  const config = parseJson(await reader.blobBytes(configDesc, MAX_JSON), `${label}: config`);
  if (arch !== undefined && !at.chosenByPlatform) checkConfigPlatform(config, arch, label);
  if (!Array.isArray(at.doc.layers))
    throw new CudasealError("IMAGE_INVALID", `${label}@${at.manifest.digest} has no layers`);
  return {
    manifestDigest: at.made ? configDesc.digest : at.manifest.digest,
    ...(at.indexDigest === undefined ? {} : { indexDigest: at.indexDigest }),
    config,
    layers: (at.doc.layers as Descriptor[]).map((l) => sourceLayer(reader, l)),
  };
}

/** From the root down through indexes to the image manifest for `arch`. */
async function walkToManifest(reader: ImageReader, arch: string, explicit: boolean): Promise<Arrival> {
  const root = await reader.root();
  let entries = "entries" in root ? root.entries : undefined;
  let manifest = "manifest" in root ? root.manifest : undefined;
  const made = "made" in root && root.made === true;
  let chosenByPlatform = false;
  let indexDigest: string | undefined;
  for (let depth = 0; depth < MAX_INDEX_DEPTH; depth++) {
    if (entries !== undefined) {
      const desc = choosePlatform(entries, arch, reader.label, explicit);
      chosenByPlatform ||= desc.platform !== undefined;
      manifest = await reader.manifest(desc);
    }
    const m = manifest as StoredManifest;
    const doc = parseJson(m.bytes, `${reader.label}@${m.digest}`);
    if (!Array.isArray(doc.manifests)) return { manifest: m, doc, indexDigest, chosenByPlatform, made };
    // The outermost index is the one pushed and signed; an OCI layout's index.json has no digest.
    indexDigest ??= m.digest;
    entries = doc.manifests as Descriptor[];
  }
  throw new CudasealError("IMAGE_INVALID", `${reader.label}: indexes nest too deep`);
}

/** A layer of the manifest; its descriptor is input like any other and may lack what its type promises. */
function sourceLayer(reader: ImageReader, l: Descriptor): SourceLayer {
  if (typeof l?.digest !== "string" || typeof l.size !== "number")
    throw new CudasealError("IMAGE_INVALID", `${reader.label}: a layer descriptor lacks its digest or size`);
  const blob = reader.blob(l);
  return { digest: l.digest, size: l.size, mediaType: l.mediaType ?? "", open: () => blob.open() };
}

/**
 * The manifest or index `reader`'s reference names, whole, for a copy: with
 * `arch`, an index is narrowed to that platform's manifest. Of an OCI layout's
 * index.json entries, the one entry, else the image an untagged reference
 * means (layout-default.ts), else the one for `arch`.
 */
export async function rootManifest(reader: ImageReader, arch?: string): Promise<StoredManifest> {
  const root = await reader.root();
  const m =
    "manifest" in root ? root.manifest : await reader.manifest(await rootEntry(reader, root.entries, arch));
  if (arch === undefined) return m;
  const doc = parseJson(m.bytes, `${reader.label}@${m.digest}`);
  if (!Array.isArray(doc.manifests)) return m;
  return reader.manifest(choosePlatform(doc.manifests as Descriptor[], arch, reader.label, true));
}

/** The entry of index.json a copy starts from: the one the reference means (layout-default.ts), else the one for `arch`. */
async function rootEntry(
  reader: ImageReader,
  entries: Descriptor[],
  arch: string | undefined,
): Promise<Descriptor> {
  if (entries.length === 1) return entries[0];
  const chosen = await defaultLayoutEntry(entries, async (d) => {
    const m = await reader.manifest(d);
    return parseJson(m.bytes, `${reader.label}@${m.digest}`);
  });
  if (chosen.entry !== undefined) return chosen.entry;
  if (arch !== undefined) return choosePlatform(entries, arch, reader.label, true);
  throw noDefaultImage(reader.label, chosen.candidates);
}
