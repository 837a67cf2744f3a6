// `docker-archive:FILE[:NAME:TAG]`: what `docker save` writes. Since Docker 25
// the archive is an OCI layout that also carries the classic `manifest.json`;
// the layout is preferred where index.json is present. Older archives (and
// skopeo's) have only the classic form: `manifest.json` naming a config file
// and one tar per layer, uncompressed, whose digest is its diff ID. Such an
// archive has no manifest, so one is made here (Docker schema 2, as skopeo
// makes it) and the image goes by its config's digest, its image ID.

import { CudasealError } from "../errors.ts";
import { type Descriptor, sha256Digest } from "../oci/descriptor.ts";
import {
  DOCKER_CONFIG,
  DOCKER_LAYER,
  DOCKER_LAYER_GZIP,
  DOCKER_MANIFEST,
  OCI_LAYER_ZSTD,
} from "../oci/media-types.ts";
import { bytesBlob } from "../registry/index.ts";
import { type BlobFiles, fileBlob } from "./blob-files.ts";
import { checkedBlob } from "./checked-blob.ts";
import { normalName, sameImageName } from "./docker-name.ts";
import { MAX_JSON, parseJson, parseJsonValue } from "./image-json.ts";
import { layoutReader } from "./layout-reader.ts";
import { badReference } from "./ref-syntax.ts";
import { indexTar } from "./tar-index.ts";
import type { ImageReader, Transport } from "./types.ts";

interface ClassicEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

/** A Docker archive, and the image in it by `NAME[:TAG]` (the only one when none is named). */
export interface DockerArchiveRef {
  transport: "docker-archive";
  file: string;
  name?: string;
}

export const dockerArchive: Transport<DockerArchiveRef> = {
  name: "docker-archive",
  parse(text) {
    if (!text.startsWith("docker-archive:")) return undefined;
    // As skopeo does: the file ends at the first colon, the rest is NAME:TAG.
    const body = text.slice("docker-archive:".length);
    const at = body.indexOf(":");
    const file = at === -1 ? body : body.slice(0, at);
    const name = at === -1 ? undefined : body.slice(at + 1);
    if (file === "") throw badReference(text, "docker-archive: needs a path");
    if (name === "") throw badReference(text, "docker-archive: has an empty image name");
    return name === undefined
      ? { transport: "docker-archive", file }
      : { transport: "docker-archive", file, name };
  },
  format: (ref) =>
    ref.name === undefined ? `docker-archive:${ref.file}` : `docker-archive:${ref.file}:${ref.name}`,
  open: (ref) => openDockerArchive(ref),
  imageName: (ref) => ref.name,
};

/** The Docker archive `ref` names, either generation, as an image reader. */
async function openDockerArchive(ref: DockerArchiveRef): Promise<ImageReader> {
  const files = await indexTar(ref.file);
  const name = ref.name === undefined ? undefined : normalName(ref.name);
  const label = dockerArchive.format(ref);
  if ((await files.size("index.json")) !== undefined) return layoutReader(files, { name }, label);
  return classicReader(files, name, label);
}

/** A classic archive: its one image, with the manifest made from manifest.json, the config and the layer files. */
async function classicReader(
  files: BlobFiles,
  name: string | undefined,
  label: string,
): Promise<ImageReader> {
  const entry = await classicEntry(files, name, label);
  const configBytes = await classicConfig(files, entry, label);
  const config: Descriptor = {
    mediaType: DOCKER_CONFIG,
    digest: sha256Digest(configBytes),
    size: configBytes.length,
  };
  const layers = await classicLayers(
    files,
    entry,
    parseJson(configBytes, `${label}: ${entry.Config}`),
    label,
  );
  const bytes = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: DOCKER_MANIFEST, config, layers }, null, 3),
  );
  const manifest = { digest: sha256Digest(bytes), mediaType: DOCKER_MANIFEST, bytes };
  const paths = new Map(layers.map((l, i) => [l.digest, entry.Layers[i]]));
  const missing = (digest: string) => new CudasealError("IMAGE_INVALID", `${label}: no blob ${digest}`);
  return {
    label,
    root: async () => ({ manifest, made: true }),
    manifest: async () => {
      throw new CudasealError("IMAGE_INVALID", `${label}: a Docker archive holds no index`);
    },
    async blobBytes(desc) {
      if (desc.digest !== config.digest) throw missing(desc.digest);
      return configBytes;
    },
    blob(desc) {
      if (desc.digest === config.digest) return bytesBlob(configBytes, config);
      const path = paths.get(desc.digest);
      if (path === undefined) throw missing(desc.digest);
      return checkedBlob(fileBlob(files, path, desc), label);
    },
    referrers: async () => [],
    tagged: async () => undefined,
  };
}

/** The entry of manifest.json `name` names, or the only one. */
async function classicEntry(
  files: BlobFiles,
  name: string | undefined,
  label: string,
): Promise<ClassicEntry> {
  const raw = await files.read("manifest.json", MAX_JSON);
  if (raw === undefined)
    throw new CudasealError("IMAGE_INVALID", `${label} is not a Docker archive (no manifest.json)`);
  const list = parseJsonValue(raw, `${label}: manifest.json`);
  if (!Array.isArray(list) || list.length === 0)
    throw new CudasealError("IMAGE_INVALID", `${label}: manifest.json lists no images`);
  const entries = list as ClassicEntry[];
  const tags = entries.flatMap((e) => e.RepoTags ?? []);
  const entry =
    name === undefined
      ? entries.length === 1
        ? entries[0]
        : undefined
      : entries.find((e) => (e.RepoTags ?? []).some((t) => sameImageName(t, name)));
  if (entry === undefined)
    throw new CudasealError(
      "IMAGE_INVALID",
      name === undefined
        ? `${label} holds ${entries.length} images; say which`
        : `${label} has no image called ${name}`,
      { hint: `it has ${tags.join(", ") || "no named images"}`, details: { available: tags } },
    );
  if (typeof entry.Config !== "string" || !Array.isArray(entry.Layers))
    throw new CudasealError("IMAGE_INVALID", `${label}: manifest.json entry lacks Config or Layers`);
  return entry;
}

/** The config's bytes; one named by its digest (`HEX.json`, `blobs/sha256/HEX`) is held to it. */
async function classicConfig(files: BlobFiles, entry: ClassicEntry, label: string): Promise<Buffer> {
  const bytes = await files.read(entry.Config, MAX_JSON);
  if (bytes === undefined)
    throw new CudasealError("IMAGE_INVALID", `${label}: config ${entry.Config} is missing`);
  const named = /([0-9a-f]{64})(\.json)?$/.exec(entry.Config);
  if (named && `sha256:${named[1]}` !== sha256Digest(bytes))
    throw new CudasealError("IMAGE_INVALID", `${label}: config ${entry.Config} does not match its name`);
  return bytes;
}

/** Each layer file's descriptor: a blob path names the stored (maybe compressed) bytes; any other name is an uncompressed tar, identified by its diff ID. */
async function classicLayers(
  files: BlobFiles,
  entry: ClassicEntry,
  config: Record<string, unknown>,
  label: string,
): Promise<Descriptor[]> {
  const diffIds = ((config.rootfs as { diff_ids?: unknown } | undefined)?.diff_ids ?? []) as string[];
  if (!Array.isArray(diffIds) || diffIds.length !== entry.Layers.length)
    throw new CudasealError("IMAGE_INVALID", `${label}: config and manifest.json disagree on the layers`);
  return Promise.all(
    entry.Layers.map(async (path, i) => {
      const size = await files.size(path);
      if (size === undefined) throw new CudasealError("IMAGE_INVALID", `${label}: layer ${path} is missing`);
      const blob = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(path);
      const digest = blob ? `sha256:${blob[1]}` : diffIds[i];
      const mediaType = blob ? await sniffMediaType(files, path) : DOCKER_LAYER;
      return { mediaType, digest, size };
    }),
  );
}

async function sniffMediaType(files: BlobFiles, path: string): Promise<string> {
  const stream = await files.stream(path, { start: 0, end: 4 });
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
