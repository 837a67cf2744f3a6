// The input every image writer takes, and the pure step that turns it into
// the JSON documents of an image: per platform a config blob and a manifest,
// and for more than one platform an image index over them. Planning does no
// I/O, so a caller can learn every digest (to attach an SBOM to the image,
// say) before anything is written, and all three output formats share one
// plan and so one set of digests.

import { CudasealError } from "../errors.ts";
import type { Descriptor, JsonBlob } from "./descriptor.ts";
import { describe, isSha256Digest, jsonBlob } from "./descriptor.ts";
import type { ImageConfig } from "./image-config.ts";
import { buildIndex, buildManifest } from "./manifest.ts";
import { isLayerMediaType, OCI_CONFIG, OCI_INDEX, OCI_MANIFEST } from "./media-types.ts";
import type { Platform } from "./platform.ts";
import { platformString, samePlatform } from "./platform.ts";

/** A finished layer blob on disk, as the layer stage leaves it in the cache. */
export interface LayerBlob {
  path: string;
  /** `sha256:<hex>` of the file's bytes (compressed). */
  digest: string;
  size: number;
  /** `sha256:<hex>` of the uncompressed tar; must match the config's diff_ids. */
  diffId: string;
  mediaType: string;
  annotations?: Readonly<Record<string, string>>;
}

/** One platform's image: its config and its layers in rootfs order. */
export interface PlatformImage {
  config: ImageConfig;
  layers: readonly LayerBlob[];
  /** Annotations on this platform's manifest. */
  annotations?: Readonly<Record<string, string>>;
}

/** A whole image, one or more platforms, ready to be written in any format. */
export interface BuiltImage {
  platforms: readonly PlatformImage[];
  /** Image-wide annotations: on the image index, and on the manifest of a single-platform image. */
  annotations?: Readonly<Record<string, string>>;
  /** The name an OCI layout knows the image by: the TAG in `oci:DIR:TAG`. */
  tag?: string;
}

export interface PlannedPlatform {
  platform: Platform;
  config: JsonBlob;
  manifest: JsonBlob;
  layers: readonly LayerBlob[];
  /** The manifest's descriptor with its platform, as an index lists it. */
  descriptor: Descriptor;
}

export interface ImagePlan {
  platforms: readonly PlannedPlatform[];
  /** The image index over the platforms; absent for a single-platform image. */
  index?: JsonBlob;
  /** What a tag names: the image index, or the single platform's manifest (with its platform). */
  root: Descriptor;
  annotations?: Readonly<Record<string, string>>;
}

/** Turn an image into its configs, manifests and index, checking that the parts agree. */
export function planImage(image: BuiltImage): ImagePlan {
  if (image.platforms.length === 0)
    throw new CudasealError("IMAGE_INVALID", "an image needs at least one platform");
  const single = image.platforms.length === 1;
  const planned: PlannedPlatform[] = [];
  for (const p of image.platforms) {
    const platform = platformOf(p.config);
    const twin = planned.find((q) => samePlatform(q.platform, platform));
    if (twin !== undefined) {
      throw new CudasealError(
        "IMAGE_INVALID",
        `platform ${platformString(platform)} appears twice in the image`,
      );
    }
    checkLayers(p, platform);
    const config = jsonBlob(OCI_CONFIG, p.config);
    // A single-platform image is published as its manifest alone, so the
    // image-wide annotations must live there or they are lost on push.
    const annotations = single ? { ...image.annotations, ...p.annotations } : p.annotations;
    const manifest = jsonBlob(
      OCI_MANIFEST,
      buildManifest({
        config: describe(config),
        layers: p.layers.map(layerDescriptor),
        annotations,
      }),
    );
    planned.push({
      platform,
      config,
      manifest,
      layers: p.layers,
      descriptor: { ...describe(manifest), platform },
    });
  }
  if (single) return { platforms: planned, root: planned[0].descriptor, annotations: image.annotations };
  const index = jsonBlob(
    OCI_INDEX,
    buildIndex({ manifests: planned.map((p) => p.descriptor), annotations: image.annotations }),
  );
  return { platforms: planned, index, root: describe(index), annotations: image.annotations };
}

function platformOf(config: ImageConfig): Platform {
  if (!config.architecture || !config.os) {
    throw new CudasealError("IMAGE_INVALID", "an image config needs an architecture and an os");
  }
  return config.variant
    ? { architecture: config.architecture, os: config.os, variant: config.variant }
    : { architecture: config.architecture, os: config.os };
}

function checkLayers(p: PlatformImage, platform: Platform): void {
  const where = platformString(platform);
  const diffIds = p.config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== p.layers.length) {
    throw new CudasealError(
      "IMAGE_INVALID",
      `${where}: the config lists ${diffIds.length} layers but ${p.layers.length} were given`,
    );
  }
  p.layers.forEach((layer, i) => {
    if (!isSha256Digest(layer.digest) || !isSha256Digest(layer.diffId)) {
      throw new CudasealError("IMAGE_INVALID", `${where}: layer ${i} has a malformed digest`, {
        details: { digest: layer.digest, diffId: layer.diffId },
      });
    }
    if (layer.diffId !== diffIds[i]) {
      throw new CudasealError("IMAGE_INVALID", `${where}: layer ${i} does not match the config's diff_ids`, {
        details: { diffId: layer.diffId, expected: diffIds[i] },
      });
    }
    if (!isLayerMediaType(layer.mediaType)) {
      throw new CudasealError("IMAGE_INVALID", `${where}: layer ${i} has media type ${layer.mediaType}`);
    }
    if (!Number.isSafeInteger(layer.size) || layer.size < 0) {
      throw new CudasealError("IMAGE_INVALID", `${where}: layer ${i} has an invalid size ${layer.size}`);
    }
  });
}

function layerDescriptor(layer: LayerBlob): Descriptor {
  const d = describe(layer);
  if (layer.annotations !== undefined && Object.keys(layer.annotations).length > 0) {
    d.annotations = { ...layer.annotations };
  }
  return d;
}
