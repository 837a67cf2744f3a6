// Any image reference as the source of a copy: the exact bytes of its root
// manifest or index, of every manifest below it, and a way to read each
// blob. Bytes are never re-serialised, so digests survive the copy. An OCI
// layout (directory, oci-archive, a Docker 25 archive) and a registry are
// read as they are; a classic Docker archive, which has no manifest, gets a
// Docker schema 2 manifest made from its manifest.json, as skopeo does.

import { createHash } from "node:crypto";
import { join } from "node:path";
import { CudasealError } from "../errors.ts";
import type { StoredManifest } from "../oci/artifact-store.ts";
import { type Descriptor, sha256Digest } from "../oci/descriptor.ts";
import { parseDockerRef } from "../oci/docker-archive.ts";
import {
  ANNOTATION_CONTAINERD_NAME,
  ANNOTATION_REF_NAME,
  DOCKER_CONFIG,
  DOCKER_MANIFEST,
  OCI_INDEX,
  OCI_MANIFEST,
} from "../oci/media-types.ts";
import {
  type BlobSource,
  bytesBlob,
  fileBlob,
  listReferrers,
  MAX_MANIFEST,
  manifestReference,
  openRepository,
  type RegistryClientOptions,
  streamBlob,
  streamedBlob,
} from "../registry/index.ts";
import { type BlobFiles, directoryFiles } from "../source/blob-files.ts";
import { openDockerArchive } from "../source/docker-archive-source.ts";
import { formatImageRef, type ImageRef, sameImageName } from "../source/image-ref.ts";
import { blobPath, MAX_JSON, parseJson } from "../source/layout-image.ts";
import { indexTar } from "../source/tar-index.ts";

/** An image to copy from. */
export interface CopySource {
  readonly label: string;
  /** The manifest or index the reference names, byte for byte. */
  root(): Promise<StoredManifest>;
  /** A manifest below the root, by its descriptor, checked against its digest. */
  manifest(desc: Descriptor): Promise<StoredManifest>;
  /** A blob, read afresh on every open and checked against its digest on a whole read. */
  blob(desc: Descriptor): BlobSource;
  /** Set when the source is a registry repository: blobs may be mounted from it on the same registry. */
  readonly origin?: { registry: string; repository: string };
  /** Manifests (SBOMs, signatures, attestations) whose `subject` is one of `digests`. */
  referrers(digests: ReadonlySet<string>): Promise<StoredManifest[]>;
  /** The manifest under `tag` (cosign's `sha256-<hex>.sig` and kin), or undefined when there is none. */
  tagged(tag: string): Promise<StoredManifest | undefined>;
}

/** Open `ref` (any transport) as a copy source. */
export async function openCopySource(
  ref: ImageRef,
  registry: RegistryClientOptions = {},
): Promise<CopySource> {
  switch (ref.transport) {
    case "oci":
      return layoutSource(directoryFiles(ref.dir), { tag: ref.tag }, formatImageRef(ref), ref.dir);
    case "oci-archive":
      return layoutSource(await indexTar(ref.file), { tag: ref.tag }, formatImageRef(ref));
    case "docker-archive": {
      const files = await indexTar(ref.file);
      const name = ref.name === undefined ? undefined : normalName(ref.name);
      if ((await files.size("index.json")) !== undefined)
        return layoutSource(files, { name }, formatImageRef(ref));
      return classicSource(ref, files);
    }
    case "docker":
      return registrySource(ref, registry);
  }
}

function registrySource(
  ref: Extract<ImageRef, { transport: "docker" }>,
  options: RegistryClientOptions,
): CopySource {
  const repo = openRepository(ref.registry, ref.repository, options);
  const get = async (reference: string): Promise<StoredManifest> => {
    const m = await repo.getManifest(reference);
    if (m === undefined)
      throw new CudasealError("REGISTRY_NOT_FOUND", `${repo.label} has no manifest ${reference}`, {
        hint: "check the repository name and tag",
        details: { registry: ref.registry, repository: ref.repository, reference },
      });
    return m;
  };
  return {
    label: formatImageRef(ref),
    origin: { registry: ref.registry, repository: ref.repository },
    root: () => get(manifestReference(ref)),
    manifest: (desc) => get(desc.digest),
    blob: (desc) => streamedBlob(desc, () => streamBlob(repo, desc.digest, desc.size)),
    tagged: (tag) => repo.getManifest(tag),
    async referrers(digests) {
      const found: StoredManifest[] = [];
      for (const digest of digests)
        for (const d of await listReferrers(repo, digest)) found.push(await get(d.digest));
      return found;
    },
  };
}

/** An OCI layout's image by ref name (tag) or containerd name; the only image when neither is given. */
function layoutSource(
  files: BlobFiles,
  select: { tag?: string; name?: string },
  label: string,
  dir?: string,
): CopySource {
  const readManifest = async (desc: Descriptor): Promise<StoredManifest> => {
    const bytes = await files.read(blobPath(desc.digest), MAX_MANIFEST);
    if (bytes === undefined)
      throw new CudasealError("IMAGE_INVALID", `${label}: manifest ${desc.digest} is missing`);
    const digest = sha256Digest(bytes);
    if (digest !== desc.digest)
      throw new CudasealError(
        "IMAGE_INVALID",
        `${label}: manifest ${desc.digest} does not match its digest (${digest})`,
      );
    return { digest, mediaType: desc.mediaType || mediaTypeOf(bytes), bytes };
  };
  const indexEntries = async (): Promise<Descriptor[]> => {
    const raw = await files.read("index.json", MAX_JSON);
    if (raw === undefined)
      throw new CudasealError("IMAGE_INVALID", `${label} is not an OCI image layout (no index.json)`);
    const index = parseJson(raw, `${label}: index.json`);
    return (Array.isArray(index.manifests) ? index.manifests : []) as Descriptor[];
  };
  return {
    label,
    async tagged(tag) {
      // The last entry of a tag wins, as the layout store reads it.
      const entry = (await indexEntries()).findLast((d) => d.annotations?.[ANNOTATION_REF_NAME] === tag);
      return entry === undefined ? undefined : readManifest(entry);
    },
    async referrers(digests) {
      // Artifacts sit in index.json untagged, with their artifactType (the layout writer's way).
      const found: StoredManifest[] = [];
      for (const entry of await indexEntries()) {
        if (entry.artifactType === undefined || entry.annotations?.[ANNOTATION_REF_NAME] !== undefined)
          continue;
        const m = await readManifest(entry);
        const subject = (parseJson(m.bytes, `${label}@${m.digest}`).subject as Descriptor | undefined)
          ?.digest;
        if (subject !== undefined && digests.has(subject)) found.push(m);
      }
      return found;
    },
    async root() {
      const entries = await indexEntries();
      const tags = entries.map((d) => d.annotations?.[ANNOTATION_REF_NAME]).filter((t) => t !== undefined);
      let chosen: Descriptor[];
      if (select.tag !== undefined)
        chosen = entries.filter((d) => d.annotations?.[ANNOTATION_REF_NAME] === select.tag);
      else if (select.name !== undefined)
        chosen = entries.filter((d) => {
          const full = d.annotations?.[ANNOTATION_CONTAINERD_NAME];
          return full !== undefined && sameImageName(full, select.name!);
        });
      else chosen = entries.length === 1 ? entries : [];
      if (chosen.length !== 1)
        throw new CudasealError(
          "IMAGE_INVALID",
          select.tag !== undefined || select.name !== undefined
            ? `${label} has no image called ${select.tag ?? select.name}`
            : `${label} holds ${entries.length} images; name one as ${label}:TAG`,
          {
            hint: tags.length > 0 ? `it has ${tags.join(", ")}` : "it has no named images",
            details: { available: tags },
          },
        );
      return readManifest(chosen[0]);
    },
    manifest: readManifest,
    blob(desc) {
      const name = blobPath(desc.digest);
      if (dir !== undefined) return checked(fileBlob(join(dir, name), desc), label);
      return checked(
        streamedBlob(desc, async function* () {
          yield* (await files.stream(name)) as AsyncIterable<Uint8Array>;
        }),
        label,
      );
    },
  };
}

/** A classic `docker save` archive: the manifest is made here, from manifest.json, config and layer files. */
async function classicSource(
  ref: Extract<ImageRef, { transport: "docker-archive" }>,
  files: BlobFiles,
): Promise<CopySource> {
  // The image source already finds the entry, checks the config and names each layer.
  const opened = await openDockerArchive(ref, { arch: undefined });
  const configBytes = await classicConfig(files, ref);
  const config = { mediaType: DOCKER_CONFIG, digest: sha256Digest(configBytes), size: configBytes.length };
  const layers = opened.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size }));
  const manifestBytes = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: DOCKER_MANIFEST, config, layers }, null, 3),
  );
  const root: StoredManifest = {
    digest: sha256Digest(manifestBytes),
    mediaType: DOCKER_MANIFEST,
    bytes: manifestBytes,
  };
  const byDigest = new Map(opened.layers.map((l) => [l.digest, l]));
  return {
    label: formatImageRef(ref),
    root: async () => root,
    manifest: async () => {
      throw new CudasealError("IMAGE_INVALID", `${ref.file}: a Docker archive holds no index`);
    },
    referrers: async () => [],
    tagged: async () => undefined,
    blob(desc) {
      if (desc.digest === config.digest) return bytesBlob(configBytes, config);
      const layer = byDigest.get(desc.digest);
      if (layer === undefined)
        throw new CudasealError("IMAGE_INVALID", `${ref.file}: no blob ${desc.digest}`);
      return streamedBlob(desc, () => layer.open());
    },
  };
}

async function classicConfig(
  files: BlobFiles,
  ref: Extract<ImageRef, { transport: "docker-archive" }>,
): Promise<Buffer> {
  const raw = await files.read("manifest.json", MAX_JSON);
  const list =
    raw === undefined ? [] : (JSON.parse(raw.toString("utf8")) as { Config: string; RepoTags?: string[] }[]);
  const name = ref.name === undefined ? undefined : normalName(ref.name);
  const entry =
    name === undefined ? list[0] : list.find((e) => (e.RepoTags ?? []).some((t) => sameImageName(t, name)));
  const bytes = entry === undefined ? undefined : await files.read(entry.Config, MAX_JSON);
  if (bytes === undefined)
    throw new CudasealError("IMAGE_INVALID", `${ref.file}: the image's config is missing`);
  return bytes;
}

/** Check a whole read against the digest; a partial (resumed) read is checked by the receiver. */
function checked(blob: BlobSource, label: string): BlobSource {
  return {
    ...blob,
    async *open(start = 0, end = blob.size) {
      if (start !== 0 || end !== blob.size) {
        yield* blob.open(start, end);
        return;
      }
      const hash = createHash("sha256");
      let size = 0;
      for await (const chunk of blob.open()) {
        hash.update(chunk);
        size += chunk.length;
        yield chunk;
      }
      const actual = `sha256:${hash.digest("hex")}`;
      if (actual !== blob.digest || size !== blob.size)
        throw new CudasealError(
          "IMAGE_INVALID",
          `${label}: blob ${blob.digest} does not match its digest or size`,
          {
            hint: "the image is corrupt or was tampered with",
            details: { expected: blob.digest, actual, size },
          },
        );
    },
  };
}

function mediaTypeOf(bytes: Buffer): string {
  const doc = parseJson(bytes, "manifest");
  if (typeof doc.mediaType === "string") return doc.mediaType;
  return Array.isArray(doc.manifests) ? OCI_INDEX : OCI_MANIFEST;
}

function normalName(ref: string): string {
  const { name, tag } = parseDockerRef(ref);
  return `${name}:${tag}`;
}
