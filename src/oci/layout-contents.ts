// What an OCI image layout holds, as a sorted list of files, before any of it
// is written: `oci-layout`, `index.json` and `blobs/sha256/<hex>`. The layout
// directory, the oci-archive and the Docker archive are all this list put
// somewhere, so they agree byte for byte on every blob.
//
// index.json names the image under its tag. A multi-platform image is the
// nested-index form that `skopeo copy --all` writes: index.json points at
// one image index blob, which points at the manifests. Tools that unpack a
// single manifest (umoci) refuse a tag that leads to several, so each
// platform's manifest is also listed under `TAG-<arch>`. A build lists a
// single platform's manifest so too (`platformTags: "always"`), so that
// scripts naming `TAG-amd64` work whatever was built; the writers alone do
// not, since `podman load` of an oci-archive takes only one entry.

import { stat } from "node:fs/promises";
import { hashFile } from "../cache/content-store.ts";
import { CudasealError } from "../errors.ts";
import { canonicalJsonBytes } from "./canonical-json.ts";
import type { Descriptor } from "./descriptor.ts";
import { describe, digestHex, jsonBlob, sha256Digest } from "./descriptor.ts";
import type { BuiltImage, ImagePlan, PlannedPlatform } from "./image-plan.ts";
import { planImage } from "./image-plan.ts";
import type { ImageIndex, ImageManifest } from "./manifest.ts";
import { buildIndex } from "./manifest.ts";
import { ANNOTATION_REF_NAME, isManifestMediaType, OCI_LAYOUT_VERSION, OCI_MANIFEST } from "./media-types.ts";
import type { Platform } from "./platform.ts";

/** A blob an artifact brings: bytes in memory, or a file on disk. */
export type ArtifactBlob =
  | { digest: string; bytes: Uint8Array }
  | { digest: string; path: string; size?: number };

/** An extra manifest (an SBOM, a signature) stored beside the image, usually with a `subject` naming it. */
export interface Artifact {
  /** Serialised canonically; its media type defaults to the OCI image manifest. */
  manifest: ImageManifest | ImageIndex;
  /** Every blob the manifest names that is not already part of the image. */
  blobs: readonly ArtifactBlob[];
}

export interface LayoutOptions {
  /** Extra manifests to store and list in index.json (untagged). */
  artifacts?: readonly Artifact[];
  /**
   * In a multi-platform layout with a tag, also list each platform's
   * manifest as `TAG-<arch>` (`TAG-arm-v7` where an architecture has several
   * variants); "always": a single platform's too. Default true.
   */
  platformTags?: boolean | "always";
  /**
   * Hash every blob file before using it. Sizes are always checked; the
   * hash is off by default because layer files come from the content store,
   * which names files by their hash and checks them when it reads them.
   */
  verifyBlobs?: boolean;
}

/** One file of a layout: bytes we made, or a file on disk to link or copy. */
export type LayoutFile =
  | { name: string; size: number; bytes: Buffer }
  | { name: string; size: number; source: string; digest: string };

/** The digests and sizes a written image has, for the caller to report, sign or push. */
export interface WrittenImage {
  /** What the tag names: the image index of a multi-platform image, else the manifest. */
  image: Descriptor;
  platforms: WrittenPlatform[];
  /** The artifact manifests, in the order given. */
  artifacts: Descriptor[];
  /** Every ref name in index.json, the tag first. */
  tags: string[];
}

export interface WrittenPlatform {
  platform: Platform;
  manifest: Descriptor;
  config: Descriptor;
  layers: Descriptor[];
  /** The per-platform ref name, when there is one. */
  tag?: string;
}

/** The files of an OCI layout of `image`, checked against the disk, plus the digests. */
export async function ociLayoutContents(
  image: BuiltImage,
  options: LayoutOptions = {},
): Promise<{ files: LayoutFile[]; written: WrittenImage }> {
  const plan = planImage(image);
  const tags: string[] = [];
  const entries: Descriptor[] = [];
  if (image.tag !== undefined) {
    checkRefName(image.tag);
    tags.push(image.tag);
  }
  entries.push(withRefName(plan.root, image.tag));
  const platformTags = new Map<PlannedPlatform, string>();
  const tagEach = options.platformTags ?? true;
  if (image.tag !== undefined && (tagEach === "always" || (tagEach && plan.index !== undefined))) {
    for (const p of plan.platforms) {
      const tag = `${image.tag}-${platformSuffix(p, plan)}`;
      checkRefName(tag);
      platformTags.set(p, tag);
      tags.push(tag);
      entries.push(withRefName(p.descriptor, tag));
    }
  }
  const layout = new LayoutBuilder(options.verifyBlobs === true);
  await layout.addImage(plan);
  const artifacts: Descriptor[] = [];
  for (const artifact of options.artifacts ?? []) {
    const d = await layout.addArtifact(artifact);
    artifacts.push(d);
    entries.push(d);
  }
  const files = layout.finish(entries, plan.annotations);
  const written: WrittenImage = {
    image: describe(plan.root),
    platforms: plan.platforms.map((p) => ({
      platform: p.platform,
      manifest: describe(p.manifest),
      config: describe(p.config),
      layers: p.layers.map((l) => describe(l)),
      ...(platformTags.has(p) ? { tag: platformTags.get(p) } : {}),
    })),
    artifacts,
    tags,
  };
  return { files, written };
}

/**
 * Collects a layout's blobs, deduplicated by digest, checking each file on
 * disk as it is added so that a bad input fails before anything is written.
 */
export class LayoutBuilder {
  readonly #verify: boolean;
  readonly #blobs = new Map<string, LayoutFile>();

  constructor(verify: boolean) {
    this.#verify = verify;
  }

  /** Add every blob of a planned image: layers, configs, manifests, the index. */
  async addImage(plan: ImagePlan): Promise<void> {
    for (const p of plan.platforms) await this.addPlatform(p);
    if (plan.index !== undefined) this.addBytes(plan.index.digest, plan.index.bytes);
  }

  /** Add one platform's layers, config and manifest. */
  async addPlatform(p: PlannedPlatform): Promise<void> {
    for (const layer of p.layers) await this.addFile(layer.digest, layer.path, layer.size);
    this.addBytes(p.config.digest, p.config.bytes);
    this.addBytes(p.manifest.digest, p.manifest.bytes);
  }

  /** Add an artifact's blobs and manifest; returns the manifest's index.json entry. */
  async addArtifact(artifact: Artifact): Promise<Descriptor> {
    for (const blob of artifact.blobs) {
      if ("bytes" in blob) {
        if (sha256Digest(blob.bytes) !== blob.digest) {
          throw new CudasealError("IMAGE_INVALID", `artifact blob does not hash to ${blob.digest}`);
        }
        this.addBytes(blob.digest, Buffer.from(blob.bytes));
      } else {
        await this.addFile(blob.digest, blob.path, blob.size);
      }
    }
    const m = artifact.manifest;
    const mediaType = m.mediaType ?? OCI_MANIFEST;
    if (!isManifestMediaType(mediaType)) {
      throw new CudasealError("IMAGE_INVALID", `artifact manifest has media type ${mediaType}`);
    }
    const named = "manifests" in m ? m.manifests : [m.config, ...m.layers];
    for (const d of named) {
      const have = this.#blobs.get(d.digest);
      if (have === undefined) {
        throw new CudasealError("IMAGE_INVALID", `artifact names blob ${d.digest}, which was not supplied`);
      }
      if (have.size !== d.size) {
        throw new CudasealError(
          "IMAGE_INVALID",
          `artifact blob ${d.digest} is ${have.size} bytes, not ${d.size}`,
        );
      }
    }
    const blob = jsonBlob(mediaType, { ...m, mediaType });
    this.addBytes(blob.digest, blob.bytes);
    // The fields the OCI referrers API reports, so a reader of the layout
    // can find an image's SBOM without opening every manifest.
    const entry: Descriptor = describe(blob);
    const artifactType = m.artifactType ?? ("config" in m ? m.config.mediaType : undefined);
    if (artifactType !== undefined) entry.artifactType = artifactType;
    if (m.annotations !== undefined && Object.keys(m.annotations).length > 0)
      entry.annotations = { ...m.annotations };
    return entry;
  }

  addBytes(digest: string, bytes: Buffer): void {
    const name = blobName(digest);
    if (!this.#blobs.has(digest)) this.#blobs.set(digest, { name, size: bytes.length, bytes });
  }

  async addFile(digest: string, path: string, size: number | undefined): Promise<void> {
    const name = blobName(digest);
    if (this.#blobs.has(digest)) return;
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch (err) {
      throw new CudasealError("IMAGE_INVALID", `blob ${digest} is missing: cannot read ${path}`, {
        cause: err,
        details: { path, digest },
        hint: "the build cache may have been cleaned while the build ran; build again",
      });
    }
    if (!info.isFile()) {
      throw new CudasealError("IMAGE_INVALID", `blob ${digest} at ${path} is not a regular file`, {
        details: { path, digest },
      });
    }
    if (size !== undefined && info.size !== size) {
      throw new CudasealError(
        "IMAGE_INVALID",
        `blob ${digest} at ${path} is ${info.size} bytes, not ${size}`,
        {
          details: { path, digest },
        },
      );
    }
    if (this.#verify && `sha256:${await hashFile(path)}` !== digest) {
      throw new CudasealError("IMAGE_INVALID", `blob at ${path} does not hash to ${digest}`, {
        details: { path, digest },
      });
    }
    this.#blobs.set(digest, { name, size: info.size, source: path, digest });
  }

  /** The layout's files, sorted by name: blobs, then index.json with `entries`, then oci-layout. */
  finish(entries: readonly Descriptor[], annotations?: Readonly<Record<string, string>>): LayoutFile[] {
    const blobs = [...this.#blobs.values()].sort((a, b) => compareNames(a.name, b.name));
    const index = canonicalJsonBytes(buildIndex({ manifests: entries, annotations }));
    const layout = canonicalJsonBytes({ imageLayoutVersion: OCI_LAYOUT_VERSION });
    return [
      ...blobs,
      { name: "index.json", size: index.length, bytes: index },
      { name: "oci-layout", size: layout.length, bytes: layout },
    ];
  }
}

/** `blobs/sha256/<hex>`, the path of a blob inside a layout. */
export function blobName(digest: string): string {
  return `blobs/sha256/${digestHex(digest)}`;
}

function withRefName(d: Descriptor, tag: string | undefined): Descriptor {
  if (tag === undefined) return d;
  return { ...d, annotations: { ...d.annotations, [ANNOTATION_REF_NAME]: tag } };
}

/** `amd64`, or `arm-v7` where the image has more than one variant of an architecture. */
function platformSuffix(p: PlannedPlatform, plan: ImagePlan): string {
  const { architecture, variant } = p.platform;
  const shared = plan.platforms.filter((q) => q.platform.architecture === architecture).length > 1;
  const os = plan.platforms.some((q) => q.platform.os !== p.platform.os) ? `${p.platform.os}-` : "";
  return shared && variant ? `${os}${architecture}-${variant}` : `${os}${architecture}`;
}

// The ref name grammar of the OCI image layout specification.
const REF_NAME =
  /^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:\/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$/;

function checkRefName(name: string): void {
  if (!REF_NAME.test(name)) {
    throw new CudasealError("IMAGE_INVALID", `${JSON.stringify(name)} is not a valid OCI ref name`, {
      hint: "use letters, digits and . _ - : @ + between them, e.g. 12.8-runtime",
    });
  }
}

/** Byte order of the UTF-8 names, which tar readers and `ls` in the C locale agree on. */
function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
