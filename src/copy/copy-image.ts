// Copying an image between any two places (push, pull and copy are this):
//
//   1. read the root manifest or index from the source, byte for byte
//      (narrowed to one platform's manifest when an arch is asked for);
//   2. walk down to every manifest below it and every blob they name;
//   3. ask the destination which blobs it already has (HEAD, in parallel);
//   4. send the rest, at most `concurrency` at a time, each streamed from the
//      source (mounted instead where the registry holds it in another
//      repository);
//   5. put the manifests below the root, children before parents, the
//      referrers and cosign's `sha256-<hex>.sig`/`.att`/`.sbom` tags of
//      each manifest copied (cosign-tags.ts), then the root under its tag.
//
// The source is read through src/source/ and the destination written
// through destinations.ts, so nothing here names a transport. Nothing is
// re-serialised, so the destination's digests are the source's; the one
// manifest made here is a `.sig` or `.att` merged with the one the
// destination already holds.

import { CudasealError } from "../errors.ts";
import type { StoredManifest } from "../oci/artifact-store.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { platformString } from "../oci/platform.ts";
import { bytesBlob, type RegistryClientOptions } from "../registry/index.ts";
import { bundleSignedReferences, cosignTag, signedReferences } from "../sign/index.ts";
import { hostArch } from "../source/host-arch.ts";
import { parseJson } from "../source/image-json.ts";
import { type ImageRef, imageNameOf, parseImageRef } from "../source/image-ref.ts";
import { openReader } from "../source/image-source.ts";
import { MAX_INDEX_DEPTH, rootManifest } from "../source/platform-walk.ts";
import type { ImageReader } from "../source/types.ts";
import { mapPool } from "../util/pool.ts";
import { noProgress, type ProgressSink } from "../util/progress.ts";
import {
  COSIGN_TAG_KINDS,
  type CosignTagAction,
  type CosignTagPlan,
  cosignBlobs,
  planCosignTag,
} from "./cosign-tags.ts";
import type { CopyDestination } from "./destination.ts";
import { openDestination } from "./destinations.ts";

export interface CopyOptions {
  registry?: RegistryClientOptions;
  /** Copy only this platform (its manifest becomes the root); every platform when unset. */
  arch?: string;
  /** Upload in chunks of this many bytes (registry destinations). */
  chunkSize?: number;
  /** Repositories on the destination registry to try mounting blobs from. */
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
  /** Warnings worth a user's attention: a signature whose claimed repository is not the destination's. */
  onNote?: (note: string) => void;
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
  const to = await openDestination(dstRef, {
    registry: options.registry,
    chunkSize: options.chunkSize,
    sourceName: imageNameOf(srcRef),
  });
  // What the destination has room for: one platform, the host's unless asked; no referrers.
  const arch = options.arch ?? (to.onePlatform === true ? hostArch() : undefined);
  const referrers = options.referrers !== false && to.referrers !== false;
  try {
    const from = await openReader(srcRef, { registry: options.registry });
    return await copyTo(from, to, { ...options, arch, referrers });
  } catch (err) {
    // Whatever the copy wrote to a layout goes: the destination is left as it was.
    await to.abort();
    throw err;
  }
}

async function copyTo(from: ImageReader, to: CopyDestination, options: CopyOptions): Promise<CopySummary> {
  const root = await rootManifest(from, options.arch);
  const tree = await walkTree(from, root);
  const withReferrers = options.referrers !== false;
  const referrers = withReferrers ? await collectReferrers(from, tree) : [];
  // cosign's tags of the root and of every manifest below it, planned against what the destination holds.
  const signed = withReferrers ? await planCosignTags(from, to, tree) : [];
  if (options.onNote !== undefined) await warnOtherClaims(from, to, signed, referrers, options.onNote);
  const all = [...tree.blobs.values()];
  const sent = await sendBlobs(from, to, all, options);
  await putManifests(to, tree, referrers, signed);
  return {
    source: from.label,
    destination: to.label,
    digest: root.digest,
    mediaType: root.mediaType,
    platforms: [...new Set(tree.platforms)],
    manifests: tree.manifests.length + 1,
    referrers: referrers.length,
    signatures: signed.filter((p) => p.action !== "kept").length,
    signatureTags: signed.map((p) => ({ tag: p.tag, action: p.action })),
    blobs: { total: all.length, pushed: sent.pushed, mounted: sent.mounted, skipped: sent.skipped },
    bytes: { total: all.reduce((n, d) => n + d.size, 0), pushed: sent.pushedBytes },
  };
}

/** The image below its root: manifests in post-order (children first), the blobs they name once each. */
interface ImageTree {
  root: StoredManifest;
  /** Every manifest below the root, children before parents. */
  manifests: StoredManifest[];
  /** Every blob to copy, by digest: the image's, its referrers' and the cosign tags' to write. */
  blobs: Map<string, Descriptor>;
  platforms: string[];
}

async function walkTree(from: ImageReader, root: StoredManifest): Promise<ImageTree> {
  const tree: ImageTree = { root, manifests: [], blobs: new Map(), platforms: [] };
  const walk = async (m: StoredManifest, depth: number): Promise<void> => {
    if (depth > MAX_INDEX_DEPTH)
      throw new CudasealError("IMAGE_INVALID", `${from.label}: indexes nest too deep`);
    const doc = parseJson(m.bytes, `${from.label}@${m.digest}`);
    if (Array.isArray(doc.manifests)) {
      for (const child of doc.manifests as Descriptor[]) {
        if (child.platform !== undefined && child.platform.architecture !== "unknown")
          tree.platforms.push(platformString(child.platform));
        await walk(await from.manifest(child), depth + 1);
      }
    } else {
      if (doc.config === undefined || !Array.isArray(doc.layers))
        throw new CudasealError(
          "IMAGE_INVALID",
          `${from.label}@${m.digest} is neither a manifest nor an index`,
        );
      addBlobs(tree, [doc.config, ...doc.layers], `${from.label}@${m.digest}`);
    }
    if (m !== root) tree.manifests.push(m);
  };
  await walk(root, 0);
  return tree;
}

/** Record `named` (a manifest's config and layers) as blobs to copy; IMAGE_INVALID for one without digest or size. */
function addBlobs(tree: ImageTree, named: readonly unknown[], what: string): void {
  for (const d of named as Descriptor[]) {
    if (typeof d?.digest !== "string" || typeof d.size !== "number")
      throw new CudasealError("IMAGE_INVALID", `${what} has a descriptor without digest or size`);
    tree.blobs.set(d.digest, d);
  }
}

/** Referrers of the image and of each of its manifests; their blobs join the tree's. */
async function collectReferrers(from: ImageReader, tree: ImageTree): Promise<StoredManifest[]> {
  const referrers = await from.referrers(new Set([tree.root.digest, ...tree.manifests.map((m) => m.digest)]));
  for (const r of referrers) {
    const doc = parseJson(r.bytes, `${from.label}@${r.digest}`);
    if (!Array.isArray(doc.manifests))
      addBlobs(
        tree,
        [doc.config, ...(Array.isArray(doc.layers) ? doc.layers : [])],
        `${from.label}@${r.digest}`,
      );
  }
  return referrers;
}

/** What to do with each cosign tag the source has; the blobs of those to write join the tree's. */
async function planCosignTags(
  from: ImageReader,
  to: CopyDestination,
  tree: ImageTree,
): Promise<CosignTagPlan[]> {
  const tags = [tree.root, ...tree.manifests].flatMap((m) =>
    COSIGN_TAG_KINDS.map((kind) => cosignTag(m.digest, kind)),
  );
  const plans = await mapPool(tags, 8, async (tag) => {
    const found = await from.tagged(tag);
    if (found === undefined) return undefined;
    const named = cosignBlobs(found, `${from.label}:${tag}`);
    const plan = planCosignTag(tag, found, await to.tagged(tag), to.label);
    if (plan.write !== undefined) for (const d of named) tree.blobs.set(d.digest, d);
    return plan;
  });
  return plans.filter((p) => p !== undefined);
}

/**
 * Say so when a signature about to be pushed claims another repository than
 * the destination's: cosign accepts it, but `verify --reference` and
 * policies that match the claim refuse it. A layout's signature names its
 * folder unless signed with `--reference`, which is how this happens.
 */
async function warnOtherClaims(
  from: ImageReader,
  to: CopyDestination,
  signed: readonly CosignTagPlan[],
  referrers: readonly StoredManifest[],
  onNote: (note: string) => void,
): Promise<void> {
  if (to.registry === undefined) return;
  const target = `${to.registry.registry}/${to.registry.repository}`;
  const read = (layer: Descriptor, max: number) => from.blobBytes(layer, max);
  const warn = (what: string, claims: string[]) => {
    const other = claims.filter((c) => c !== target);
    if (other.length === 0) return;
    onNote(
      `the signature ${what} names ${other.join(", ")}, not ${target}: cosign verify accepts it, ` +
        `but 'cudaseal verify --reference ${target}' and policies that check the claimed reference will not; ` +
        `sign with --reference ${target} before pushing to make the claim match`,
    );
  };
  for (const plan of signed) {
    if (!plan.tag.endsWith(".sig") || plan.write === undefined) continue;
    const doc = parseJson(plan.source.bytes, `${from.label}:${plan.tag}`);
    warn(plan.tag, await signedReferences(doc, read));
  }
  // Bundle signatures (cosign 3's format) claim the repository as their statement's subject name.
  for (const r of referrers) {
    const doc = parseJson(r.bytes, `${from.label}@${r.digest}`);
    warn(`bundle ${r.digest}`, await bundleSignedReferences(doc, read));
  }
}

interface Sent {
  pushed: number;
  mounted: number;
  skipped: number;
  pushedBytes: number;
}

/** Send the blobs the destination lacks, mounting where it can, with progress. */
async function sendBlobs(
  from: ImageReader,
  to: CopyDestination,
  all: readonly Descriptor[],
  options: CopyOptions,
): Promise<Sent> {
  const progress = options.progress ?? noProgress;
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
  const sent: Sent = { pushed: 0, mounted: 0, skipped: all.length - missing.length, pushedBytes: 0 };
  try {
    await mapPool(missing, options.concurrency ?? 4, async (d) => {
      const result = await to.putBlob(from.blob(d), {
        mountFrom,
        onBytes: (n) => progress({ task, kind: "advance", delta: n }),
      });
      if (result === "mounted") {
        sent.mounted++;
        progress({ task, kind: "advance", delta: d.size, items: 1 });
      } else {
        sent.pushed++;
        sent.pushedBytes += d.size;
        progress({ task, kind: "advance", delta: 0, items: 1 });
      }
    });
  } finally {
    progress({ task, kind: "end" });
  }
  return sent;
}

/** The manifests below the root, the referrers, the signatures, and last the root, so no one sees the new tag unsigned. */
async function putManifests(
  to: CopyDestination,
  tree: ImageTree,
  referrers: readonly StoredManifest[],
  signed: readonly CosignTagPlan[],
): Promise<void> {
  for (const m of tree.manifests) await to.putManifest(m);
  // Referrers before the tag moves: registries take a subject that is not
  // there yet (OCI 1.1), and a layout lists them in the index.json that
  // finish writes.
  for (const r of referrers) await to.putReferrer(r);
  for (const plan of signed) {
    if (plan.write === undefined) continue;
    for (const made of plan.made)
      if (!(await to.hasBlob(made.desc))) await to.putBlob(bytesBlob(made.bytes, made.desc), {});
    await to.putTagged(plan.write, plan.tag);
  }
  await to.finish(tree.root);
}
