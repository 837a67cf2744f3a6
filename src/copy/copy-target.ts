// Where a copy writes: a registry repository (blobs uploaded, manifests put
// by digest and the root under its tag) or an OCI layout directory (blobs
// written to a temporary name while hashed and renamed into a staging
// folder only when they match, then published with index.json naming the
// root by tag: copy-staging.ts). A layout that already exists keeps its
// other images; a copy that fails leaves the layout as it was, or absent.

import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { CudasealError } from "../errors.ts";
import type { StoredManifest } from "../oci/artifact-store.ts";
import { type Descriptor, isSha256Digest, sha256Digest } from "../oci/descriptor.ts";
import { blobName } from "../oci/layout-contents.ts";
import { ANNOTATION_REF_NAME, OCI_INDEX, OCI_MANIFEST } from "../oci/media-types.ts";
import {
  addFallbackReferrer,
  type BlobSource,
  blobSize,
  MAX_MANIFEST,
  openRepository,
  type RegistryClientOptions,
  type UploadResult,
  uploadBlob,
} from "../registry/index.ts";
import { MAX_JSON, parseJson } from "../source/image-json.ts";
import type { ImageRef } from "../source/image-ref.ts";
import { formatImageRef } from "../source/image-ref.ts";
import { writeFileAtomic } from "../util/atomic-file.ts";
import { onDiskFull } from "../util/disk-full.ts";
import { readRegularFile } from "../util/read-regular-file.ts";
import { discardStaging, type LayoutStaging, openStaging, publishStaging } from "./copy-staging.ts";

/** A place to copy an image to. */
export interface CopyTarget {
  readonly label: string;
  /** Set for a registry repository: where same-registry mounts can go. */
  readonly registry?: { registry: string; repository: string };
  hasBlob(desc: Descriptor): Promise<boolean>;
  putBlob(
    blob: BlobSource,
    options: { onBytes?: (n: number) => void; mountFrom?: readonly string[] },
  ): Promise<UploadResult>;
  /** Store a manifest below the root, by digest. */
  putManifest(manifest: StoredManifest): Promise<void>;
  /** Store a manifest whose `subject` is part of the image, where readers of referrers will find it. */
  putReferrer(manifest: StoredManifest): Promise<void>;
  /** The manifest under `tag` now (cosign's `sha256-<hex>.sig` and kin), or undefined when there is none. */
  tagged(tag: string): Promise<StoredManifest | undefined>;
  /** Store a manifest under `tag` (its blobs already stored). */
  putTagged(manifest: StoredManifest, tag: string): Promise<void>;
  /** Store the root and name it (by the target's tag, or by digest). */
  finish(root: StoredManifest): Promise<void>;
  /** Undo what a copy that will not finish wrote, where the target can: a layout is left as it was. */
  abort(): Promise<void>;
}

export interface TargetOptions {
  registry?: RegistryClientOptions;
  /** Chunked uploads of this many bytes (registry targets). */
  chunkSize?: number;
}

/** Open `ref` as a copy target: a registry reference or `oci:DIR[:TAG]` (archives go through a layout: copy-archive.ts). */
export function openCopyTarget(ref: ImageRef, options: TargetOptions = {}): CopyTarget {
  if (ref.transport === "docker") return registryTarget(ref, options);
  if (ref.transport === "oci") return layoutTarget(ref.dir, ref.tag, formatImageRef(ref));
  throw new CudasealError("USAGE", `cannot write images to ${formatImageRef(ref)}`, {
    hint: "copy to a registry (registry.example/repo:tag) or an OCI layout (oci:DIR[:TAG])",
  });
}

function registryTarget(ref: Extract<ImageRef, { transport: "docker" }>, options: TargetOptions): CopyTarget {
  const repo = openRepository(ref.registry, ref.repository, options.registry);
  return {
    label: formatImageRef(ref),
    registry: { registry: ref.registry, repository: ref.repository },
    hasBlob: async (desc) => (await blobSize(repo, desc.digest, [repo.pushScope])) !== undefined,
    putBlob: (blob, o) =>
      uploadBlob(repo, blob, { chunkSize: options.chunkSize, mountFrom: o.mountFrom, onBytes: o.onBytes }),
    async putManifest(m) {
      await repo.putManifest(m.bytes, m.mediaType, m.digest);
    },
    async putReferrer(m) {
      const { subjectAccepted } = await repo.putManifest(m.bytes, m.mediaType, m.digest);
      const { subject, desc } = referrerDescriptor(m);
      if (subject !== undefined && !subjectAccepted) await addFallbackReferrer(repo, subject, desc);
    },
    tagged: (tag) => repo.getManifest(tag, [repo.pushScope]),
    async putTagged(m, tag) {
      await repo.putManifest(m.bytes, m.mediaType, tag);
    },
    async finish(root) {
      if (ref.digest !== undefined && ref.digest !== root.digest)
        throw new CudasealError(
          "USAGE",
          `${formatImageRef(ref)} names ${ref.digest}, but the image is ${root.digest}`,
          {
            hint: "push to a tag, or to the image's own digest",
          },
        );
      await repo.putManifest(
        root.bytes,
        root.mediaType,
        ref.tag ?? (ref.digest === undefined ? "latest" : root.digest),
      );
    },
    // Blobs a registry received without a manifest naming them are its garbage collector's.
    abort: async () => undefined,
  };
}

function layoutTarget(dir: string, tag: string | undefined, label: string): CopyTarget {
  const referrers: Descriptor[] = [];
  const tagged = new Map<string, Descriptor>();
  // Made on the first write; nothing of the copy is in the layout until finish publishes it.
  let staging: Promise<LayoutStaging> | undefined;
  const stage = () => {
    staging ??= openStaging(dir);
    return staging;
  };
  const writeBlob = (digest: string, size: number, source: AsyncIterable<Uint8Array>) =>
    onDiskFull("output", dir, () => stageBlob(digest, size, source));
  const stageBlob = async (digest: string, size: number, source: AsyncIterable<Uint8Array>) => {
    const final = join((await stage()).root, blobName(digest));
    const tmp = `${final}.${randomBytes(4).toString("hex")}.tmp`;
    const hash = createHash("sha256");
    let seen = 0;
    try {
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Uint8Array>) {
          for await (const chunk of chunks) {
            hash.update(chunk);
            seen += chunk.length;
            yield chunk;
          }
        },
        createWriteStream(tmp, { flags: "wx" }),
      );
      const actual = `sha256:${hash.digest("hex")}`;
      if (actual !== digest || seen !== size)
        throw new CudasealError(
          "IMAGE_INVALID",
          `blob ${digest} does not match its digest or size (${actual}, ${seen} bytes)`,
        );
      await rename(tmp, final);
    } finally {
      await rm(tmp, { force: true });
    }
  };
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
      await writeBlob(blob.digest, blob.size, counting(blob.open(), o.onBytes));
      return "uploaded";
    },
    async putManifest(m) {
      await writeBlob(m.digest, m.bytes.length, once(m.bytes));
    },
    async putReferrer(m) {
      await writeBlob(m.digest, m.bytes.length, once(m.bytes));
      referrers.push(referrerDescriptor(m).desc);
    },
    async tagged(t) {
      let raw: Buffer;
      try {
        raw = await readRegularFile(join(dir, "index.json"), { what: "layout index.json", max: MAX_JSON });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw err;
      }
      const index = parseJson(raw, `${dir}/index.json`);
      const entry = (Array.isArray(index.manifests) ? (index.manifests as Descriptor[]) : []).findLast(
        (d) => d?.annotations?.[ANNOTATION_REF_NAME] === t,
      );
      if (entry === undefined || !isSha256Digest(entry.digest)) return undefined;
      const path = join(dir, blobName(entry.digest));
      const size = await stat(path).then(
        (st) => st.size,
        () => undefined,
      );
      if (size === undefined || size > MAX_MANIFEST)
        throw new CudasealError(
          "IMAGE_INVALID",
          `${label}: the manifest tagged ${t} (${entry.digest}) is ${size === undefined ? "missing" : "too large"}`,
        );
      const bytes = await readRegularFile(path, { what: "layout manifest", max: MAX_MANIFEST });
      if (sha256Digest(bytes) !== entry.digest)
        throw new CudasealError(
          "IMAGE_INVALID",
          `${label}: manifest ${entry.digest} does not match its digest`,
        );
      return { digest: entry.digest, mediaType: entry.mediaType || OCI_MANIFEST, bytes };
    },
    async putTagged(m, t) {
      await writeBlob(m.digest, m.bytes.length, once(m.bytes));
      const entry: Descriptor = {
        mediaType: m.mediaType,
        digest: m.digest,
        size: m.bytes.length,
        annotations: { [ANNOTATION_REF_NAME]: t },
      };
      // As the layout store lists cosign's tags: with cosign's artifact type, so that readers
      // choosing "the image" of an untagged layout pass them over.
      const kind = /\.([a-z]+)$/.exec(t)?.[1];
      if (kind !== undefined) entry.artifactType = `application/vnd.dev.cosign.artifact.${kind}.v1+json`;
      tagged.set(t, entry);
    },
    async finish(root) {
      await writeBlob(root.digest, root.bytes.length, once(root.bytes));
      // A new layout's index.json is written in its staging folder before it is renamed into place; an
      // existing one's under its index lock, so a sign or attest writing it meanwhile keeps its entries.
      const writeIndex = async (folder: string) => {
        const indexPath = join(folder, "index.json");
        let index: { schemaVersion: number; mediaType?: string; manifests: Descriptor[] };
        try {
          const raw = await readRegularFile(indexPath, { what: "layout index.json", max: MAX_JSON });
          index = JSON.parse(raw.toString("utf8")) as typeof index;
          if (!Array.isArray(index.manifests)) throw new Error("no manifests");
        } catch (err) {
          if (err instanceof CudasealError) throw err;
          if ((err as NodeJS.ErrnoException).code !== "ENOENT")
            throw new CudasealError("IMAGE_INVALID", `${dir}/index.json is not an OCI index`, { cause: err });
          index = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] };
        }
        const entry: Descriptor = { mediaType: root.mediaType, digest: root.digest, size: root.bytes.length };
        if (tag !== undefined) entry.annotations = { [ANNOTATION_REF_NAME]: tag };
        // The tag moves to the new image; an untagged copy replaces an untagged entry of the same digest.
        index.manifests = index.manifests.filter((d) =>
          tag !== undefined ? d.annotations?.[ANNOTATION_REF_NAME] !== tag : d.digest !== root.digest,
        );
        index.manifests.push(entry);
        // Referrers are listed untagged with their artifactType, as the layout writer lists SBOMs.
        for (const r of referrers)
          if (!index.manifests.some((d) => d.digest === r.digest)) index.manifests.push(r);
        // cosign's tags move to what the copy planned (the source's, or a merge of both).
        for (const [t, entry] of tagged) {
          index.manifests = index.manifests.filter((d) => d.annotations?.[ANNOTATION_REF_NAME] !== t);
          index.manifests.push(entry);
        }
        await writeFileAtomic(indexPath, `${JSON.stringify(index)}\n`);
      };
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

/** A referrer's subject digest, and its descriptor with the fields a referrers list repeats. */
function referrerDescriptor(m: StoredManifest): { subject?: string; desc: Descriptor } {
  const doc = JSON.parse(m.bytes.toString("utf8")) as {
    subject?: { digest?: unknown };
    artifactType?: unknown;
    config?: { mediaType?: unknown };
    annotations?: Record<string, string>;
  };
  const desc: Descriptor = { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length };
  const artifactType = typeof doc.artifactType === "string" ? doc.artifactType : doc.config?.mediaType;
  if (typeof artifactType === "string") desc.artifactType = artifactType;
  if (doc.annotations !== undefined && typeof doc.annotations === "object")
    desc.annotations = doc.annotations;
  return { subject: typeof doc.subject?.digest === "string" ? doc.subject.digest : undefined, desc };
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

async function* counting(
  source: AsyncIterable<Uint8Array>,
  onBytes?: (n: number) => void,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    onBytes?.(chunk.length);
    yield chunk;
  }
}
