// Finds one platform's image in an OCI image layout, whether a directory, an
// `oci-archive` or the layout inside a Docker 25 archive: index.json → (by
// tag or name) → indexes followed down to the manifest for the platform →
// config and layers. Every JSON blob is checked against its digest before it
// is parsed; layer streams are checked as they are read.

import { createHash } from "node:crypto";
import { CudasealError } from "../errors.ts";
import { ANNOTATION_CONTAINERD_NAME, ANNOTATION_REF_NAME } from "../oci/media-types.ts";
import { type Platform, platformMatches, platformString } from "../oci/platform.ts";
import type { BlobFiles } from "./blob-files.ts";
import { choosePlatform, noPlatform } from "./choose-platform.ts";
import { DigestCheck } from "./digest-check.ts";
import { hostArch } from "./host-arch.ts";
import { sameImageName } from "./image-ref.ts";
import type { OpenedImage, OpenImageOptions, SourceLayer } from "./image-source.ts";

/** Largest manifest, index or config read. */
export const MAX_JSON = 16 * 1024 * 1024;

interface Desc {
  digest: string;
  mediaType?: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
  /** Set on artifacts (SBOMs, signatures) stored beside images: never an image to read. */
  artifactType?: string;
}

/** Which entry of index.json to read: by OCI ref name (a tag), or by the full `name:tag` Docker records. */
export interface LayoutSelector {
  tag?: string;
  name?: string;
}

/** Open the image `select` names in the layout `files`. */
export async function openLayoutImage(
  files: BlobFiles,
  select: LayoutSelector,
  options: OpenImageOptions,
): Promise<OpenedImage> {
  const raw = await files.read("index.json", MAX_JSON);
  if (raw === undefined)
    throw new CudasealError("IMAGE_INVALID", `${files.label} is not an OCI image layout (no index.json)`);
  const index = parseJson(raw, `${files.label}: index.json`);
  let descs = descriptors(index, `${files.label}: index.json`);
  const wanted = select.tag ?? select.name;
  if (wanted !== undefined) {
    const named = descs.filter((d) => {
      const full = d.annotations?.[ANNOTATION_CONTAINERD_NAME];
      if (select.name !== undefined) return full !== undefined && sameImageName(full, select.name);
      return d.annotations?.[ANNOTATION_REF_NAME] === wanted;
    });
    if (named.length === 0) {
      const have = descs.map((d) => d.annotations?.[ANNOTATION_REF_NAME]).filter((t) => t !== undefined);
      throw new CudasealError("IMAGE_INVALID", `${files.label} has no image called ${wanted}`, {
        hint: have.length > 0 ? `it has ${have.join(", ")}` : "it has no named images",
        details: { available: have },
      });
    }
    descs = named;
  }
  const arch = options.arch ?? hostArch();
  let chosenByPlatform = false;
  let indexDigest: string | undefined;
  for (let depth = 0; depth < 4; depth++) {
    const desc = choosePlatform(descs, arch, files.label, options.arch !== undefined);
    chosenByPlatform ||= desc.platform !== undefined;
    const doc = await readJsonBlob(files, desc.digest);
    if (Array.isArray(doc.manifests)) {
      // The outermost index is the one pushed and signed; index.json itself has no digest.
      indexDigest ??= desc.digest;
      descs = descriptors(doc, desc.digest);
      continue;
    }
    const config = await readJsonBlob(files, (doc.config as Desc | undefined)?.digest ?? "");
    if (options.arch !== undefined && !chosenByPlatform && typeof config.architecture === "string") {
      const p: Platform = { architecture: config.architecture, os: String(config.os ?? "linux") };
      if (typeof config.variant === "string") p.variant = config.variant;
      if (!platformMatches(p, options.arch)) throw noPlatform(files.label, options.arch, [platformString(p)]);
    }
    if (!Array.isArray(doc.layers)) throw new CudasealError("IMAGE_INVALID", `${desc.digest} has no layers`);
    const layers = (doc.layers as Desc[]).map((l) => layerOf(files, l));
    return {
      manifestDigest: desc.digest,
      ...(indexDigest === undefined ? {} : { indexDigest }),
      config,
      layers,
    };
  }
  throw new CudasealError("IMAGE_INVALID", `${files.label}: indexes nest too deep`);
}

/** A layer read from `files` at its blob path, checked against `digest` as it streams. */
export function layerOf(files: BlobFiles, l: Desc, name = blobPath(l.digest)): SourceLayer {
  return sourceLayer(l, files.label, async function* () {
    const stream = await files.stream(name);
    const check = new DigestCheck(l.digest);
    stream.on("error", (err) => check.destroy(err));
    yield* stream.pipe(check);
  });
}

/** A layer of a manifest (from a layout or a registry); its descriptor must hold a digest and a size. */
export function sourceLayer(
  l: { digest: string; size: number; mediaType?: string },
  label: string,
  open: () => AsyncIterable<Uint8Array>,
): SourceLayer {
  // The manifest is input like any other: a descriptor may lack what its type promises.
  if (typeof l.digest !== "string" || typeof l.size !== "number")
    throw new CudasealError("IMAGE_INVALID", `${label}: a layer descriptor lacks its digest or size`);
  return { digest: l.digest, size: l.size, mediaType: l.mediaType ?? "", open };
}

/** `blobs/sha256/HEX` for a digest; IMAGE_INVALID for any other algorithm or form. */
export function blobPath(digest: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!m) throw new CudasealError("IMAGE_INVALID", `unsupported digest ${JSON.stringify(digest)}`);
  return `blobs/sha256/${m[1]}`;
}

/** A JSON blob, its digest checked before it is parsed. */
export async function readJsonBlob(
  files: BlobFiles,
  digest: string,
  name = blobPath(digest),
): Promise<Record<string, unknown>> {
  const bytes = await files.read(name, MAX_JSON);
  if (bytes === undefined)
    throw new CudasealError("IMAGE_INVALID", `${files.label}: blob ${digest} is missing`);
  const actual = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  if (actual !== digest)
    throw new CudasealError(
      "IMAGE_INVALID",
      `${files.label}: blob ${digest} does not match its digest (${actual})`,
    );
  return parseJson(bytes, `${files.label}: ${digest}`);
}

/** Parse a JSON object, IMAGE_INVALID naming `what` when it is not one. */
export function parseJson(bytes: Buffer, what: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString("utf8"));
  } catch (err) {
    throw new CudasealError("IMAGE_INVALID", `${what} is not JSON`, { cause: err });
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc))
    throw new CudasealError("IMAGE_INVALID", `${what} is not a JSON object`);
  return doc as Record<string, unknown>;
}

function descriptors(doc: Record<string, unknown>, what: string): Desc[] {
  if (!Array.isArray(doc.manifests)) throw new CudasealError("IMAGE_INVALID", `${what} lists no manifests`);
  return doc.manifests as Desc[];
}
