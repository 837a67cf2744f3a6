// An OCI image layout directory as an ArtifactStore, for signing and
// attesting offline: blobs go to `blobs/sha256/<hex>`, tagged manifests
// into index.json under `org.opencontainers.image.ref.name`. Every write
// is a temporary file renamed into place, and index.json is read, changed
// and replaced under a lock file, so a crash or a second writer never
// leaves a half-written index. Entries we did not write (the images, their
// platform tags, other tools' annotations) are kept exactly as they are.

import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CudasealError, isCudasealError } from "../errors.ts";
import { asDiskFull } from "../util/disk-full.ts";
import { readRegularFile } from "../util/read-regular-file.ts";
import type { ArtifactStore, StoredManifest } from "./artifact-store.ts";
import { type Descriptor, digestHex, isSha256Digest, sha256Digest } from "./descriptor.ts";
import {
  ANNOTATION_REF_NAME,
  cosignArtifactType,
  isManifestMediaType,
  mediaTypeInManifest,
  OCI_INDEX,
  OCI_LAYOUT_VERSION,
  OCI_MANIFEST,
} from "./media-types.ts";

/** Largest manifest or index.json read. */
const MAX_MANIFEST = 4 * 1024 * 1024;
/** A lock older than this was left by a writer that died. */
const STALE_LOCK_MS = 60_000;

/** An OCI layout store: an ArtifactStore, plus what index.json lists. */
export interface LayoutStore extends ArtifactStore {
  readonly dir: string;
  /** The descriptors index.json lists, as written there. */
  entries(): Promise<Descriptor[]>;
}

export interface OpenLayoutOptions {
  /** Make an empty layout when `dir` holds none (default: LAYOUT missing is IMAGE_NOT_FOUND). */
  create?: boolean;
}

/** Open the OCI layout at `dir` for reading and writing. */
export async function openLayoutStore(dir: string, options: OpenLayoutOptions = {}): Promise<LayoutStore> {
  const indexPath = join(dir, "index.json");
  const name = `oci:${dir}`;
  if (!(await exists(indexPath))) {
    if (!options.create) {
      throw new CudasealError("IMAGE_NOT_FOUND", `${dir} is not an OCI image layout (no index.json)`, {
        hint: "write one with 'cudaseal build --output oci:DIR' or 'skopeo copy … oci:DIR:TAG'",
      });
    }
    await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
    await writeAtomic(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: OCI_LAYOUT_VERSION }));
    await writeAtomic(indexPath, JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] }));
  }

  const blobFile = (digest: string) => join(dir, "blobs", "sha256", digestHex(digest));

  async function readIndex(): Promise<Record<string, unknown> & { manifests: Descriptor[] }> {
    const bytes = await readCapped(indexPath, MAX_MANIFEST, "layout index.json");
    if (bytes === undefined) throw new CudasealError("IMAGE_INVALID", `${dir} has lost its index.json`);
    let doc: unknown;
    try {
      doc = JSON.parse(bytes.toString("utf8"));
    } catch (err) {
      throw new CudasealError("IMAGE_INVALID", `${dir}/index.json is not JSON`, { cause: err });
    }
    const d = doc as { manifests?: unknown } | null;
    if (d === null || typeof d !== "object" || !Array.isArray(d.manifests)) {
      throw new CudasealError("IMAGE_INVALID", `${dir}/index.json has no manifests list`);
    }
    for (const m of d.manifests as Descriptor[]) {
      if (typeof m !== "object" || m === null || !isSha256Digest(m.digest) || typeof m.size !== "number") {
        throw new CudasealError("IMAGE_INVALID", `${dir}/index.json lists an invalid descriptor`);
      }
    }
    return d as Record<string, unknown> & { manifests: Descriptor[] };
  }

  async function getBlob(digest: string, maxBytes: number): Promise<Buffer> {
    const bytes = await readCapped(blobFile(digest), maxBytes, "layout blob");
    if (bytes === undefined) throw new CudasealError("IMAGE_INVALID", `${name}: blob ${digest} is missing`);
    const actual = sha256Digest(bytes);
    if (actual !== digest) {
      throw new CudasealError(
        "IMAGE_INVALID",
        `${name}: blob ${digest} does not match its digest (${actual})`,
        {
          details: { digest, actual },
        },
      );
    }
    return bytes;
  }

  async function putBlob(bytes: Uint8Array, mediaType: string): Promise<Descriptor> {
    const digest = sha256Digest(bytes);
    const path = blobFile(digest);
    // Content addressed: a blob already there is this blob.
    if (!(await exists(path))) {
      await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
      await writeAtomic(path, bytes);
    }
    return { mediaType, digest, size: bytes.length };
  }

  async function getManifest(reference: string): Promise<StoredManifest | undefined> {
    let desc: Descriptor | undefined;
    if (isSha256Digest(reference)) {
      if (!(await exists(blobFile(reference)))) return undefined;
      desc = (await readIndex()).manifests.find((m) => m.digest === reference);
    } else {
      const tagged = (await readIndex()).manifests.filter(
        (m) => m.annotations?.[ANNOTATION_REF_NAME] === reference,
      );
      if (tagged.length === 0) return undefined;
      desc = tagged[tagged.length - 1];
    }
    const digest = desc?.digest ?? reference;
    const bytes = await getBlob(digest, MAX_MANIFEST);
    return { digest, bytes, mediaType: manifestMediaType(bytes, desc?.mediaType) };
  }

  async function putManifest(bytes: Uint8Array, mediaType: string, tag?: string): Promise<Descriptor> {
    if (!isManifestMediaType(mediaType)) {
      throw new CudasealError("INTERNAL", `${mediaType} is not a manifest media type`);
    }
    const desc = await putBlob(bytes, mediaType);
    await withIndexLock(dir, async () => {
      const index = await readIndex();
      let manifests = index.manifests;
      if (tag !== undefined) {
        // A tag names one manifest: the new one takes the old one's place in the list.
        const isTag = (m: Descriptor) => m.annotations?.[ANNOTATION_REF_NAME] === tag;
        const at = manifests.findIndex(isTag);
        const entry: Descriptor = { ...desc, annotations: { [ANNOTATION_REF_NAME]: tag } };
        const artifactType = entryArtifactType(bytes, tag);
        if (artifactType !== undefined) entry.artifactType = artifactType;
        manifests = manifests.filter((m) => !isTag(m));
        manifests.splice(at === -1 ? manifests.length : at, 0, entry);
      } else if (!manifests.some((m) => m.digest === desc.digest)) {
        // Listed untagged so that the blob stays reachable from the index;
        // a referrer's artifactType with it, so readers pass it over as an image.
        const artifactType = entryArtifactType(bytes, "");
        manifests.push(artifactType === undefined ? desc : { ...desc, artifactType });
      }
      await writeAtomic(join(dir, "index.json"), JSON.stringify({ ...index, manifests }));
    });
    return desc;
  }

  async function referrers(digest: string, artifactType?: string, limit = Infinity): Promise<Descriptor[]> {
    const found = new Map<string, Descriptor>();
    const wanted = (d: Descriptor) => artifactType === undefined || d.artifactType === artifactType;
    let matched = 0;
    const add = (d: Descriptor) => {
      found.set(d.digest, d);
      if (wanted(d)) matched++;
    };
    const index = await readIndex();
    const fallback = index.manifests.find(
      (m) => m.annotations?.[ANNOTATION_REF_NAME] === `sha256-${digestHex(digest)}`,
    );
    if (fallback !== undefined && manifestMediaType(Buffer.alloc(0), fallback.mediaType) === OCI_INDEX) {
      const doc = manifestDoc(await getBlob(fallback.digest, MAX_MANIFEST), `${name}: ${fallback.digest}`);
      const listed = Array.isArray(doc.manifests) ? (doc.manifests as unknown[]) : [];
      for (const m of listed) {
        // Only entries a reader can use: an object with a digest.
        if (typeof m !== "object" || m === null || !isSha256Digest((m as Descriptor).digest)) continue;
        if (!found.has((m as Descriptor).digest)) add(m as Descriptor);
      }
    }
    for (const entry of index.manifests) {
      // Past the limit nothing more is read: a layout of 10,000 referrers costs a capped caller little.
      if (matched >= limit) break;
      if (found.has(entry.digest) || (entry.mediaType !== undefined && !isManifestMediaType(entry.mediaType)))
        continue;
      const bytes = await getBlob(entry.digest, MAX_MANIFEST);
      const doc = manifestDoc(bytes, `${name}: ${entry.digest}`) as {
        subject?: Descriptor;
        artifactType?: string;
        config?: Descriptor;
        annotations?: Record<string, string>;
      };
      if (doc.subject?.digest !== digest) continue;
      const d: Descriptor = {
        mediaType: manifestMediaType(bytes, entry.mediaType),
        digest: entry.digest,
        size: bytes.length,
      };
      const type = doc.artifactType ?? doc.config?.mediaType;
      if (type !== undefined) d.artifactType = type;
      if (doc.annotations !== undefined) d.annotations = doc.annotations;
      add(d);
    }
    return [...found.values()].filter(wanted).slice(0, limit);
  }

  return {
    name,
    dir,
    entries: async () => (await readIndex()).manifests,
    getManifest,
    getBlob,
    putBlob,
    putManifest,
    referrers,
  };
}

/**
 * The artifactType an index.json entry gets: the manifest's own, or for
 * cosign's `sha256-<hex>.sig`/`.att` tags cosign's artifact type, so that
 * readers choosing "the image" of an untagged layout pass them over.
 */
// A layout is as hostile as any input: a manifest that is not a JSON
// object is IMAGE_INVALID, not a crash in the middle of a verification.
function manifestDoc(bytes: Uint8Array, what: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (err) {
    throw new CudasealError("IMAGE_INVALID", `${what} is not JSON`, { cause: err });
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc))
    throw new CudasealError("IMAGE_INVALID", `${what} is not a JSON object`);
  return doc as Record<string, unknown>;
}

function entryArtifactType(bytes: Uint8Array, tag: string): string | undefined {
  try {
    const doc = JSON.parse(Buffer.from(bytes).toString("utf8")) as { artifactType?: unknown };
    if (typeof doc.artifactType === "string") return doc.artifactType;
  } catch {
    // Not JSON: no artifact type of its own.
  }
  return cosignArtifactType(tag);
}

/** A manifest's media type: its descriptor's, else its own `mediaType` field, else by shape. */
function manifestMediaType(bytes: Buffer, fromDescriptor: string | undefined): string {
  return fromDescriptor ?? mediaTypeInManifest(bytes) ?? OCI_MANIFEST;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** A layout is anyone's: its index.json or a blob may be a link to /dev/zero or a FIFO. */
async function readCapped(path: string, max: number, what: string): Promise<Buffer | undefined> {
  try {
    return await readRegularFile(path, { what, max });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    // Larger than its descriptor allows is a broken image, not a mistaken path.
    if (isCudasealError(err, "INPUT_TOO_LARGE"))
      throw new CudasealError("IMAGE_INVALID", `${what} ${path} is larger than ${max} bytes`, { cause: err });
    if (err instanceof CudasealError) throw err;
    throw new CudasealError("IMAGE_INVALID", `cannot read ${what} ${path}`, { cause: err });
  }
}

/** Write `path` whole or not at all: a temporary sibling renamed over it. */
async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(tmp, data, { flag: "wx" });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    const failed = new CudasealError("OUTPUT_FAILED", `cannot write ${path}: ${(err as Error).message}`, {
      cause: err,
    });
    throw asDiskFull(failed, "output", dirname(path));
  }
}

/** Run `fn` holding `DIR/index.json.lock`, so two writers never lose each other's entries. */
export async function withIndexLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(dir, "index.json.lock");
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const fh = await open(lock, "wx");
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new CudasealError("OUTPUT_FAILED", `cannot lock ${dir}/index.json: ${(err as Error).message}`, {
          cause: err,
        });
      }
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > STALE_LOCK_MS) await rm(lock, { force: true });
      else if (Date.now() > deadline) {
        throw new CudasealError("OUTPUT_FAILED", `${dir}/index.json is locked by another writer`, {
          hint: `if no other cudaseal is running, remove ${lock}`,
        });
      } else await sleep(50);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}
