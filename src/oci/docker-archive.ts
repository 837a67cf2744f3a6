// The archive `docker save` writes since Docker 25, which `docker load` and
// `podman load` read: an OCI image layout (oci-layout, index.json,
// blobs/sha256/…) that also carries the classic `manifest.json` and
// `repositories`, so loaders of either generation find what they look for.
// The classic part names the same blob files as the layout; layers stay as
// they are in the layout (gzip or zstd), which loaders detect and decompress.
// A Docker archive holds one platform.

import { CudasealError } from "../errors.ts";
import { canonicalJsonBytes } from "./canonical-json.ts";
import type { Descriptor } from "./descriptor.ts";
import { describe, digestHex } from "./descriptor.ts";
import type { BuiltImage, PlannedPlatform } from "./image-plan.ts";
import { planImage } from "./image-plan.ts";
import type { LayoutFile, WrittenImage } from "./layout-contents.ts";
import { blobName, LayoutBuilder } from "./layout-contents.ts";
import { writeLayoutTar } from "./layout-tar.ts";
import { ANNOTATION_CONTAINERD_NAME, ANNOTATION_REF_NAME } from "./media-types.ts";
import { platformMatches, platformString } from "./platform.ts";

export interface DockerArchiveOptions {
  /**
   * The platform to write: `amd64`, `arm64`, a Debian name, or `arm/v7`.
   * Required when the image has more than one platform.
   */
  arch?: string;
  /** `name:tag` (or `name`, meaning `name:latest`) the loaded image is called; untagged when absent. */
  tag?: string;
  /** Hash every blob file before using it (see LayoutOptions.verifyBlobs). */
  verifyBlobs?: boolean;
}

/** Write one platform of `image` as a Docker archive at `file`, replaced only once the new one is whole. */
export async function writeDockerArchive(
  file: string,
  image: BuiltImage,
  options: DockerArchiveOptions = {},
): Promise<WrittenImage> {
  const plan = planImage(image);
  const platform = choosePlatform(plan.platforms, options.arch);
  const ref = options.tag === undefined ? undefined : parseDockerRef(options.tag);

  const layout = new LayoutBuilder(options.verifyBlobs === true);
  await layout.addPlatform(platform);
  const entry = dockerIndexEntry(platform.descriptor, ref);
  const files = dockerArchiveFiles(
    layout.finish([entry], plan.annotations),
    platform.config.digest,
    platform.layers.map((l) => l.digest),
    ref,
  );
  await writeLayoutTar(file, files);

  return {
    image: describe(platform.manifest),
    platforms: [
      {
        platform: platform.platform,
        manifest: describe(platform.manifest),
        config: describe(platform.config),
        layers: platform.layers.map((l) => describe(l)),
      },
    ],
    artifacts: [],
    tags: ref === undefined ? [] : [`${ref.name}:${ref.tag}`],
  };
}

/** index.json's entry for the image: named as containerd and Docker name it when there is a name. */
export function dockerIndexEntry(manifest: Descriptor, ref: DockerRef | undefined): Descriptor {
  if (ref === undefined) return manifest;
  // containerd and Docker name the image by the full reference and keep the
  // tag alone as the OCI ref name; podman takes the name from the former.
  return {
    ...manifest,
    annotations: { [ANNOTATION_CONTAINERD_NAME]: `${ref.name}:${ref.tag}`, [ANNOTATION_REF_NAME]: ref.tag },
  };
}

/**
 * A Docker archive's files: a one-image OCI layout's (blobs, index.json,
 * oci-layout) with the classic files naming the same config and layer blobs, sorted.
 */
export function dockerArchiveFiles(
  layout: readonly LayoutFile[],
  config: string,
  layers: readonly string[],
  ref: DockerRef | undefined,
): LayoutFile[] {
  const files = [...layout, ...classicFiles(config, layers, ref)];
  return files.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
}

/** `manifest.json` and `repositories`, the files loaders before the OCI layout read. */
function classicFiles(config: string, layers: readonly string[], ref: DockerRef | undefined): LayoutFile[] {
  const manifest = canonicalJsonBytes([
    {
      Config: blobName(config),
      RepoTags: ref === undefined ? null : [`${ref.name}:${ref.tag}`],
      Layers: layers.map((l) => blobName(l)),
    },
  ]);
  const files: LayoutFile[] = [{ name: "manifest.json", size: manifest.length, bytes: manifest }];
  // `repositories` maps name → tag → top layer ID; Docker writes it only for
  // tagged images, and an image with no layers has no top layer to name.
  const top = layers.at(-1);
  if (ref !== undefined && top !== undefined) {
    const repositories = canonicalJsonBytes({ [ref.name]: { [ref.tag]: digestHex(top) } });
    files.push({ name: "repositories", size: repositories.length, bytes: repositories });
  }
  return files;
}

function choosePlatform(platforms: readonly PlannedPlatform[], arch: string | undefined): PlannedPlatform {
  const available = platforms.map((p) => platformString(p.platform)).join(", ");
  if (arch === undefined) {
    if (platforms.length === 1) return platforms[0];
    throw new CudasealError("IMAGE_INVALID", "a Docker archive holds one platform; say which", {
      hint: `choose one of ${available}`,
    });
  }
  const matches = platforms.filter((p) => platformMatches(p.platform, arch));
  if (matches.length !== 1) {
    throw new CudasealError(
      "IMAGE_INVALID",
      matches.length === 0
        ? `the image has no ${arch} platform`
        : `${arch} matches several platforms of the image`,
      { hint: `choose one of ${available}` },
    );
  }
  return matches[0];
}

/** A name `docker load` gives the image, split. */
export interface DockerRef {
  name: string;
  tag: string;
}

// Docker's reference grammar: an optional registry host, then lowercase path
// components, then an optional tag. Digest references cannot name a load.
const HOST =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\d+)?$/;
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;

/** Split `name[:tag]` and check it is a reference `docker load` accepts. */
export function parseDockerRef(ref: string): DockerRef {
  const slash = ref.lastIndexOf("/");
  const colon = ref.lastIndexOf(":");
  const hasTag = colon > slash;
  const name = hasTag ? ref.slice(0, colon) : ref;
  const tag = hasTag ? ref.slice(colon + 1) : "latest";
  const parts = name.split("/");
  const first = parts[0];
  const hasHost = parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
  const ok =
    TAG.test(tag) &&
    name.length <= 255 &&
    (!hasHost || HOST.test(first)) &&
    parts.slice(hasHost ? 1 : 0).every((c) => COMPONENT.test(c));
  if (!ok) {
    throw new CudasealError("IMAGE_INVALID", `${JSON.stringify(ref)} is not a valid image name`, {
      hint: "use lowercase NAME[:TAG], e.g. cuda-runtime:12.8",
    });
  }
  return { name, tag };
}
