// Which image an OCI layout reference without a tag or digest means
// (`oci:out/cuda-runtime`). A layout's index.json lists more than the image:
// the SBOMs and attestations that name it as their `subject`, cosign's
// `sha256-<hex>.sig`/`.att`/`.sbom` tags, and each platform's manifest again
// under `TAG-<arch>`. None of those is what the user meant, so they are
// passed over: artifacts (by artifactType, or by a subject in the layout),
// cosign's tags, manifests an index of the layout already lists, and second
// entries of one digest. The one image left is the answer; where several are
// left and exactly one of them carries a ref name, that one. The copy and
// the signing commands both choose by this rule.

import { CudasealError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { ANNOTATION_REF_NAME } from "../oci/media-types.ts";

/** cosign's tag for what belongs to a manifest: `sha256-<hex>`, then `.sig`, `.att` or `.sbom`. */
const COSIGN_TAG = /^sha256-[0-9a-f]{64}(\.[a-z]+)?$/;

/** What the choice needs of an index.json entry. */
export type LayoutEntry = Pick<Descriptor, "digest" | "artifactType" | "annotations" | "platform">;

/** The parsed manifest (or index) an entry names; undefined when the layout lacks it. */
export type ReadEntry<T> = (entry: T) => Promise<Record<string, unknown> | undefined>;

/** The image an untagged reference to a layout means; undefined when no single one is, with the ref names of those that could be. */
export async function defaultLayoutEntry<T extends LayoutEntry>(
  entries: readonly T[],
  read: ReadEntry<T>,
): Promise<{ entry: T } | { entry: undefined; candidates: T[] }> {
  const images = entries.filter(
    (e) =>
      e.artifactType === undefined &&
      !COSIGN_TAG.test(e.annotations?.[ANNOTATION_REF_NAME] ?? "") &&
      e.platform?.architecture !== "unknown",
  );
  const docs = await Promise.all(images.map((e) => read(e)));
  const listed = new Set<string>();
  for (const doc of docs)
    if (Array.isArray(doc?.manifests))
      for (const child of doc.manifests as { digest?: unknown }[])
        if (typeof child?.digest === "string") listed.add(child.digest);
  const inLayout = new Set([...entries.map((e) => e.digest), ...listed]);
  const roots = images.filter((e, i) => {
    const subject = (docs[i]?.subject as { digest?: unknown } | undefined)?.digest;
    return !(typeof subject === "string" && inLayout.has(subject)) && !listed.has(e.digest);
  });
  const one = (list: T[]) => new Set(list.map((e) => e.digest)).size === 1;
  const named = roots.filter((e) => e.annotations?.[ANNOTATION_REF_NAME] !== undefined);
  if (one(roots)) return { entry: named[0] ?? roots[0] };
  if (one(named)) return { entry: named[0] };
  return { entry: undefined, candidates: roots };
}

/** The error for a layout whose untagged reference names no single image. */
export function noDefaultImage(label: string, candidates: readonly LayoutEntry[]): CudasealError {
  if (candidates.length === 0)
    return new CudasealError("IMAGE_INVALID", `${label} holds no image, only artifacts and signatures`);
  const tags = candidates.map((d) => d.annotations?.[ANNOTATION_REF_NAME]).filter((t) => t !== undefined);
  const count = new Set(candidates.map((d) => d.digest)).size;
  return new CudasealError("USAGE", `${label} holds ${count} images; name one as ${label}:TAG`, {
    hint: tags.length > 0 ? `it has ${tags.join(", ")}` : "it has no named images",
    details: { available: tags },
  });
}
