// Copying an image between any two places (push, pull and copy are this):
//
//   1. read the root manifest or index from the source, byte for byte
//      (narrowed to one platform's manifest when an arch is asked for);
//   2. walk down to every manifest below it and every blob they name;
//   3. ask the target which blobs it already has (HEAD, in parallel);
//   4. send the rest, at most `concurrency` at a time, each streamed from the
//      source (mounted instead where the registry holds it in another
//      repository);
//   5. put the manifests below the root, children before parents, the
//      referrers and cosign's `sha256-<hex>.sig`/`.att`/`.sbom` tags of
//      each manifest copied (cosign-tags.ts), then the root under its tag.
//
// An archive destination (oci-archive:, docker-archive:) is a copy to a
// temporary layout, then tarred (copy-archive.ts).
//
// Nothing is re-serialised, so the target's digests are the source's; the
// one manifest made here is a `.sig` or `.att` merged with the one the
// destination already holds.

import { CudasealError } from "../errors.ts";
import type { StoredManifest } from "../oci/artifact-store.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { platformString } from "../oci/platform.ts";
import { bytesBlob, type RegistryClientOptions } from "../registry/index.ts";
import { cosignTag } from "../sign/index.ts";
import { parseJson } from "../source/image-json.ts";
import { type ImageRef, parseImageRef } from "../source/image-ref.ts";
import { openReader } from "../source/image-source.ts";
import { rootManifest } from "../source/platform-walk.ts";
import { mapPool } from "../util/pool.ts";
import { noProgress, type ProgressSink } from "../util/progress.ts";
import { copyToArchive, isArchiveRef } from "./copy-archive.ts";
import { type CopyTarget, openCopyTarget } from "./copy-target.ts";
import { COSIGN_TAG_KINDS, type CosignTagAction, cosignBlobs, planCosignTag } from "./cosign-tags.ts";

export interface CopyOptions {
  registry?: RegistryClientOptions;
  /** Copy only this platform (its manifest becomes the root); every platform when unset. */
  arch?: string;
  /** Upload in chunks of this many bytes (registry targets). */
  chunkSize?: number;
  /** Repositories on the target registry to try mounting blobs from. */
  mountFrom?: readonly string[];
  /** Blobs in flight at once (default 4). */
  concurrency?: number;
  /**
   * Also copy the manifests that name the image as their `subject` (SBOMs,
   * signatures) and cosign's `sha256-<hex>.sig`/`.att`/`.sbom` tags of every
   * manifest copied; default true.
   */
  referrers?: boolean;
  progress?: ProgressSink;
}

export interface CopySummary {
  source: string;
  destination: string;
  /** The root's digest and media type at the destination. */
  digest: string;
  mediaType: string;
  platforms: string[];
  manifests: number;
  /** Referrers (SBOMs, signatures, attestations) copied with the image. */
  referrers: number;
  /** cosign `.sig`/`.att`/`.sbom` tags the destination now holds from the source (copied, merged or already there). */
  signatures: number;
  /** Each cosign tag the source had, and what the copy did with it. */
  signatureTags: { tag: string; action: CosignTagAction }[];
  blobs: { total: number; pushed: number; mounted: number; skipped: number };
  bytes: { total: number; pushed: number };
}

/** Copy the image `source` names to `destination`. */
export async function copyImage(
  source: string | ImageRef,
  destination: string | ImageRef,
  options: CopyOptions = {},
): Promise<CopySummary> {
  const srcRef = typeof source === "string" ? parseImageRef(source) : source;
  const dstRef = typeof destination === "string" ? parseImageRef(destination) : destination;
  if (isArchiveRef(dstRef)) return copyToArchive(srcRef, dstRef, options, copyImage);
  const to = openCopyTarget(dstRef, { registry: options.registry, chunkSize: options.chunkSize });
  try {
    return await copyTo(srcRef, to, options);
  } catch (err) {
    // Whatever the copy wrote to a layout goes: the destination is left as it was.
    await to.abort();
    throw err;
  }
}

async function copyTo(srcRef: ImageRef, to: CopyTarget, options: CopyOptions): Promise<CopySummary> {
  const from = await openReader(srcRef, { registry: options.registry });
  const progress = options.progress ?? noProgress;
  const root = await rootManifest(from, options.arch);

  // Walk the tree: manifests in post-order (children first), blobs once each.
  const manifests: StoredManifest[] = [];
  const blobs = new Map<string, Descriptor>();
  const platforms: string[] = [];
  const walk = async (m: StoredManifest, depth: number): Promise<void> => {
    if (depth > 4) throw new CudasealError("IMAGE_INVALID", `${from.label}: indexes nest too deep`);
    const doc = parseJson(m.bytes, `${from.label}@${m.digest}`);
    if (Array.isArray(doc.manifests)) {
      for (const child of doc.manifests as Descriptor[]) {
        if (child.platform !== undefined && child.platform.architecture !== "unknown")
          platforms.push(platformString(child.platform));
        await walk(await from.manifest(child as Descriptor), depth + 1);
      }
    } else {
      const config = doc.config as Descriptor | undefined;
      if (config === undefined || !Array.isArray(doc.layers))
        throw new CudasealError(
          "IMAGE_INVALID",
          `${from.label}@${m.digest} is neither a manifest nor an index`,
        );
      for (const d of [config, ...(doc.layers as Descriptor[])]) {
        if (typeof d?.digest !== "string" || typeof d.size !== "number")
          throw new CudasealError(
            "IMAGE_INVALID",
            `${from.label}@${m.digest} has a descriptor without digest or size`,
          );
        blobs.set(d.digest, d);
      }
    }
    if (m !== root) manifests.push(m);
  };
  await walk(root, 0);
  // Referrers of the image and of each of its manifests, with their blobs.
  const referrers =
    options.referrers === false
      ? []
      : await from.referrers(new Set([root.digest, ...manifests.map((m) => m.digest)]));
  for (const r of referrers) {
    const doc = parseJson(r.bytes, `${from.label}@${r.digest}`);
    const named = Array.isArray(doc.manifests)
      ? []
      : [doc.config, ...(Array.isArray(doc.layers) ? doc.layers : [])];
    for (const d of named as Descriptor[]) {
      if (typeof d?.digest !== "string" || typeof d.size !== "number")
        throw new CudasealError(
          "IMAGE_INVALID",
          `${from.label}@${r.digest} has a descriptor without digest or size`,
        );
      blobs.set(d.digest, d);
    }
  }

  // cosign's tags of the root and of every manifest below it, planned against what the destination holds.
  const signed =
    options.referrers === false
      ? []
      : (
          await mapPool(
            [root, ...manifests].flatMap((m) => COSIGN_TAG_KINDS.map((kind) => cosignTag(m.digest, kind))),
            8,
            async (tag) => {
              const found = await from.tagged(tag);
              if (found === undefined) return undefined;
              const named = cosignBlobs(found, `${from.label}:${tag}`);
              const plan = planCosignTag(tag, found, await to.tagged(tag), to.label);
              if (plan.write !== undefined) for (const d of named) blobs.set(d.digest, d);
              return plan;
            },
          )
        ).filter((p) => p !== undefined);

  const all = [...blobs.values()];
  const present = await mapPool(all, 8, (d) => to.hasBlob(d));
  const missing = all.filter((_, i) => !present[i]);
  const mountFrom = [
    ...(from.origin !== undefined &&
    to.registry !== undefined &&
    from.origin.registry === to.registry.registry
      ? [from.origin.repository]
      : []),
    ...(options.mountFrom ?? []),
  ].filter((r) => r !== to.registry?.repository);

  const task = to.registry !== undefined ? "push" : "pull";
  const totalBytes = missing.reduce((n, d) => n + d.size, 0);
  progress({ task, kind: "start", unit: "bytes", total: totalBytes, totalItems: missing.length });
  let pushed = 0;
  let mounted = 0;
  let pushedBytes = 0;
  try {
    await mapPool(missing, options.concurrency ?? 4, async (d) => {
      const result = await to.putBlob(from.blob(d), {
        mountFrom,
        onBytes: (n) => progress({ task, kind: "advance", delta: n }),
      });
      if (result === "mounted") {
        mounted++;
        progress({ task, kind: "advance", delta: d.size, items: 1 });
      } else {
        pushed++;
        pushedBytes += d.size;
        progress({ task, kind: "advance", delta: 0, items: 1 });
      }
    });
  } finally {
    progress({ task, kind: "end" });
  }
  for (const m of manifests) await to.putManifest(m);
  // Referrers before the tag moves: registries take a subject that is not
  // there yet (OCI 1.1), and a layout lists them in the index.json that
  // finish writes.
  for (const r of referrers) await to.putReferrer(r);
  // Signatures too, so that no one sees the new tag unsigned.
  for (const plan of signed) {
    if (plan.write === undefined) continue;
    for (const made of plan.made)
      if (!(await to.hasBlob(made.desc))) await to.putBlob(bytesBlob(made.bytes, made.desc), {});
    await to.putTagged(plan.write, plan.tag);
  }
  await to.finish(root);

  return {
    source: from.label,
    destination: to.label,
    digest: root.digest,
    mediaType: root.mediaType,
    platforms: [...new Set(platforms)],
    manifests: manifests.length + 1,
    referrers: referrers.length,
    signatures: signed.filter((p) => p.action !== "kept").length,
    signatureTags: signed.map((p) => ({ tag: p.tag, action: p.action })),
    blobs: { total: all.length, pushed, mounted, skipped: all.length - missing.length },
    bytes: { total: all.reduce((n, d) => n + d.size, 0), pushed: pushedBytes },
  };
}
