// `docker-archive:FILE[:NAME:TAG]`: what `docker save` writes. Since Docker 25
// the archive is an OCI layout that also carries the classic `manifest.json`;
// the layout is preferred where index.json is present. Older archives (and
// skopeo's) have only the classic form: `manifest.json` naming a config file
// and one tar per layer, uncompressed, whose digest is its diff ID.

import { createHash } from "node:crypto";
import { CudasealError } from "../errors.ts";
import { parseDockerRef } from "../oci/docker-archive.ts";
import { DOCKER_LAYER, DOCKER_LAYER_GZIP, OCI_LAYER_ZSTD } from "../oci/media-types.ts";
import { platformMatches } from "../oci/platform.ts";
import type { BlobFiles } from "./blob-files.ts";
import { noPlatform } from "./choose-platform.ts";
import { type ImageRef, sameImageName } from "./image-ref.ts";
import type { OpenedImage, OpenImageOptions } from "./image-source.ts";
import { layerOf, MAX_JSON, openLayoutImage, parseJson } from "./layout-image.ts";
import { indexTar } from "./tar-index.ts";

interface ClassicEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

/** Open the image `ref` names in a Docker archive, either generation. */
export async function openDockerArchive(
  ref: Extract<ImageRef, { transport: "docker-archive" }>,
  options: OpenImageOptions,
): Promise<OpenedImage> {
  const files = await indexTar(ref.file);
  const name = ref.name === undefined ? undefined : normalName(ref.name);
  if ((await files.size("index.json")) !== undefined) return openLayoutImage(files, { name }, options);
  return openClassic(files, name, options);
}

async function openClassic(files: BlobFiles, name: string | undefined, options: OpenImageOptions) {
  const raw = await files.read("manifest.json", MAX_JSON);
  if (raw === undefined)
    throw new CudasealError("IMAGE_INVALID", `${files.label} is not a Docker archive (no manifest.json)`);
  let list: unknown;
  try {
    list = JSON.parse(raw.toString("utf8"));
  } catch (err) {
    throw new CudasealError("IMAGE_INVALID", `${files.label}: manifest.json is not JSON`, { cause: err });
  }
  if (!Array.isArray(list) || list.length === 0)
    throw new CudasealError("IMAGE_INVALID", `${files.label}: manifest.json lists no images`);
  const entries = list as ClassicEntry[];
  const tags = entries.flatMap((e) => e.RepoTags ?? []);
  const entry =
    name === undefined
      ? entries.length === 1
        ? entries[0]
        : undefined
      : entries.find((e) => (e.RepoTags ?? []).some((t) => sameImageName(t, name)));
  if (entry === undefined) {
    throw new CudasealError(
      "IMAGE_INVALID",
      name === undefined
        ? `${files.label} holds ${entries.length} images; say which`
        : `${files.label} has no image called ${name}`,
      { hint: `it has ${tags.join(", ") || "no named images"}`, details: { available: tags } },
    );
  }
  if (typeof entry.Config !== "string" || !Array.isArray(entry.Layers))
    throw new CudasealError("IMAGE_INVALID", `${files.label}: manifest.json entry lacks Config or Layers`);

  const configBytes = await files.read(entry.Config, MAX_JSON);
  if (configBytes === undefined)
    throw new CudasealError("IMAGE_INVALID", `${files.label}: config ${entry.Config} is missing`);
  const configDigest = `sha256:${createHash("sha256").update(configBytes).digest("hex")}`;
  // Configs are named by their digest (`HEX.json`, `blobs/sha256/HEX`): hold them to it.
  const named = /([0-9a-f]{64})(\.json)?$/.exec(entry.Config);
  if (named && `sha256:${named[1]}` !== configDigest)
    throw new CudasealError(
      "IMAGE_INVALID",
      `${files.label}: config ${entry.Config} does not match its name`,
    );
  const config = parseJson(configBytes, `${files.label}: ${entry.Config}`);

  if (options.arch !== undefined && typeof config.architecture === "string") {
    const p = { architecture: config.architecture, os: String(config.os ?? "linux") };
    if (
      !platformMatches(
        typeof config.variant === "string" ? { ...p, variant: config.variant } : p,
        options.arch,
      )
    )
      throw noPlatform(files.label, options.arch, [`${p.os}/${p.architecture}`]);
  }

  const diffIds = ((config.rootfs as { diff_ids?: unknown } | undefined)?.diff_ids ?? []) as string[];
  if (!Array.isArray(diffIds) || diffIds.length !== entry.Layers.length)
    throw new CudasealError(
      "IMAGE_INVALID",
      `${files.label}: config and manifest.json disagree on the layers`,
    );
  const layers = await Promise.all(
    entry.Layers.map(async (path, i) => {
      const size = await files.size(path);
      if (size === undefined)
        throw new CudasealError("IMAGE_INVALID", `${files.label}: layer ${path} is missing`);
      // A blob path names the stored (maybe compressed) bytes; any other
      // name is an uncompressed tar, identified by its diff ID.
      const blob = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(path);
      const digest = blob ? `sha256:${blob[1]}` : diffIds[i];
      const mediaType = blob ? await sniffMediaType(files, path) : DOCKER_LAYER;
      return layerOf(files, { digest, size, mediaType }, path);
    }),
  );
  return { manifestDigest: configDigest, config, layers };
}

/** `name[:tag]` with the tag spelled out, as RepoTags and containerd names hold it. */
function normalName(ref: string): string {
  const { name, tag } = parseDockerRef(ref);
  return `${name}:${tag}`;
}

async function sniffMediaType(files: BlobFiles, path: string): Promise<string> {
  const stream = await files.stream(path);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (chunk[0] === 0x1f && chunk[1] === 0x8b) return DOCKER_LAYER_GZIP;
      if (chunk.length >= 4 && chunk.readUInt32LE(0) === 0xfd2fb528) return OCI_LAYER_ZSTD;
      return DOCKER_LAYER;
    }
    return DOCKER_LAYER;
  } finally {
    stream.destroy();
  }
}
