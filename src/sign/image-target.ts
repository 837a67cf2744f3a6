// What `sign`, `verify` and `attest` act on: a reference resolved to a
// store, a manifest digest, and the repository name signatures carry. The
// reference is read by the one parser of image references
// (src/source/image-ref.ts): `oci:DIR[:TAG]` and `oci:DIR@sha256:…` open the
// layout in place, a registry reference (`host/repo[:tag][@sha256:…]`) its
// repository; archives cannot hold signatures.

import { basename, resolve } from "node:path";
import { CudasealError } from "../errors.ts";
import type { ArtifactStore, StoredManifest } from "../oci/artifact-store.ts";
import { type Descriptor, isSha256Digest } from "../oci/descriptor.ts";
import { openLayoutStore } from "../oci/layout-store.ts";
import {
  ANNOTATION_CONTAINERD_NAME,
  ANNOTATION_REF_NAME,
  DOCKER_MANIFEST_LIST,
  OCI_INDEX,
} from "../oci/media-types.ts";
import {
  formatRegistryRef,
  manifestReference,
  openRegistryStore,
  type RegistryClientOptions,
} from "../registry/index.ts";
import { parseImageRef } from "../source/image-ref.ts";
import { defaultLayoutEntry, noDefaultImage } from "../source/layout-default.ts";
import type { OciDirRef } from "../source/oci-dir-source.ts";

/** An image found: where, its manifest, and the name a signature's identity gives it. */
export interface ImageTarget {
  store: ArtifactStore;
  manifest: StoredManifest;
  /** The repository signatures name as `docker-reference` (`host/repo`). */
  repository: string;
  /** The reference as the user wrote it, for messages. */
  label: string;
  /** True for an OCI layout, where the repository name is a choice rather than a fact. */
  local: boolean;
}

export interface TargetOptions {
  /** Registry client options (insecure hosts, credentials). */
  registry?: RegistryClientOptions;
  /** The `docker-reference` to use for an OCI layout (default: its image name, else the directory name). */
  repository?: string;
}

/** Resolve `ref` to its store and manifest; IMAGE_NOT_FOUND when it names nothing. */
export async function openImageTarget(ref: string, options: TargetOptions = {}): Promise<ImageTarget> {
  const parsed = parseImageRef(ref);
  if (parsed.transport === "oci") return openLayoutTarget(parsed, ref, options);
  if (parsed.transport !== "docker") {
    throw new CudasealError(
      "USAGE",
      `cannot sign or verify ${JSON.stringify(ref)}: only oci:DIR and registry images`,
      {
        hint: "sign a layout (oci:DIR[:TAG]) or a registry image (host/repo:tag); archives cannot hold signatures",
      },
    );
  }
  const store = await openRegistryStore(parsed, options.registry);
  const reference = manifestReference(parsed);
  const manifest = await store.getManifest(reference);
  if (manifest === undefined) {
    throw new CudasealError("IMAGE_NOT_FOUND", `${formatRegistryRef(parsed)} does not exist`, {
      details: { reference: ref },
    });
  }
  return {
    store,
    manifest,
    repository: options.repository ?? `${parsed.registry}/${parsed.repository}`,
    label: ref,
    local: false,
  };
}

async function openLayoutTarget(ref: OciDirRef, label: string, options: TargetOptions): Promise<ImageTarget> {
  const { dir, tag, digest } = ref;
  const store = await openLayoutStore(dir);
  const entries = await store.entries();
  let reference: string;
  if (digest !== undefined) reference = digest;
  else if (tag !== undefined) reference = tag;
  else reference = await defaultImage(store, entries, dir);
  const manifest = await store.getManifest(reference);
  if (manifest === undefined) {
    const tags = entries.map((e) => e.annotations?.[ANNOTATION_REF_NAME]).filter((t) => t !== undefined);
    throw new CudasealError("IMAGE_NOT_FOUND", `${dir} has no image ${reference}`, {
      hint: tags.length > 0 ? `it has ${tags.join(", ")}` : undefined,
    });
  }
  const entry = entries.find((e) => e.digest === manifest.digest);
  const named = entry?.annotations?.[ANNOTATION_CONTAINERD_NAME];
  const repository = options.repository ?? (named !== undefined ? stripTag(named) : basename(resolve(dir)));
  return { store, manifest, repository, label, local: true };
}

/** The image an untagged `oci:DIR` means, by the rule every command shares (source/layout-default.ts). */
async function defaultImage(store: ArtifactStore, entries: Descriptor[], dir: string): Promise<string> {
  const chosen = await defaultLayoutEntry(entries, async (e) => {
    const stored = await store.getManifest(e.digest);
    return stored === undefined ? undefined : manifestJson(stored.bytes, e.digest);
  });
  if (chosen.entry !== undefined) return chosen.entry.digest;
  throw noDefaultImage(`oci:${dir}`, chosen.candidates);
}

/** `host/repo:tag` → `host/repo` (a colon after the last slash is a tag's, one before it a port's). */
function stripTag(name: string): string {
  const noDigest = name.split("@")[0];
  const colon = noDigest.lastIndexOf(":");
  return colon > noDigest.lastIndexOf("/") ? noDigest.slice(0, colon) : noDigest;
}

/** The child manifests of an index (for `--recursive`); empty for a manifest. */
export function childManifests(manifest: StoredManifest): string[] {
  if (manifest.mediaType !== OCI_INDEX && manifest.mediaType !== DOCKER_MANIFEST_LIST) return [];
  const doc = manifestJson(manifest.bytes, manifest.digest) as { manifests?: { digest?: unknown }[] };
  return (Array.isArray(doc.manifests) ? doc.manifests : [])
    .map((m) => m?.digest)
    .filter((d): d is string => typeof d === "string" && isSha256Digest(d));
}

/** A manifest's JSON object; IMAGE_INVALID, not a crash, for bytes that are not one. */
function manifestJson(bytes: Uint8Array, digest: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (err) {
    throw new CudasealError("IMAGE_INVALID", `manifest ${digest} is not JSON`, { cause: err });
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc))
    throw new CudasealError("IMAGE_INVALID", `manifest ${digest} is not a JSON object`);
  return doc as Record<string, unknown>;
}
