// cosign's tag scheme, as a copy carries it: the signatures, attestations
// and attached SBOM of a manifest live in the same repository under the tags
// `sha256-<hex>.sig`, `.att` and `.sbom` (no `subject`, so the referrers API
// does not find them). A copy takes each such tag of every manifest it
// copies. Where the destination already holds the tag with other content,
// `.sig` and `.att` are merged as cosign appends: the destination's layers,
// then the source's layers it lacks (one layer is one signature). `.sbom` is
// replaced whole by `cosign attach sbom`, so there is nothing to merge: the
// destination's is kept and the copy says so. Planning is pure; copy-image
// applies the plan.

import { CudasealError } from "../errors.ts";
import type { StoredManifest } from "../oci/artifact-store.ts";
import { type Descriptor, isSha256Digest, sha256Digest } from "../oci/descriptor.ts";
import { isManifestMediaType, OCI_CONFIG, OCI_MANIFEST } from "../oci/media-types.ts";
import { signatureConfigBytes } from "../sign/index.ts";
import { parseJson } from "../source/image-json.ts";

/** The tag suffixes cosign uses, in the order they are copied. */
export const COSIGN_TAG_KINDS = ["sig", "att", "sbom"] as const;

/** The annotation carrying a layer's signature (empty on attestations: theirs is inside the envelope). */
const SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";

/** What a copy does with one cosign tag of the source. */
export type CosignTagAction =
  /** The destination had none: the source's manifest, byte for byte. */
  | "copied"
  /** The destination had other signatures: the union of both is written. */
  | "merged"
  /** The destination already holds every layer of the source's. */
  | "unchanged"
  /** The destination has a different `.sbom`: it is left as it is. */
  | "kept";

/** One cosign tag to carry: what to write under it, and the blobs the write needs. */
export interface CosignTagPlan {
  tag: string;
  action: CosignTagAction;
  /** The source's manifest under the tag. */
  source: StoredManifest;
  /** The manifest to put under the tag ("copied", "merged"); none otherwise. */
  write?: StoredManifest;
  /** Blobs made here (a merged manifest's config), to store before the manifest. */
  made: { desc: Descriptor; bytes: Buffer }[];
}

/** The descriptors (config and layers) of a cosign manifest; IMAGE_INVALID when it is not an image manifest. */
export function cosignBlobs(m: StoredManifest, label: string): Descriptor[] {
  const doc = parseJson(m.bytes, `${label}@${m.digest}`);
  if (doc.config === undefined || !Array.isArray(doc.layers))
    throw new CudasealError(
      "IMAGE_INVALID",
      `${label}@${m.digest} is a cosign tag but not an image manifest`,
    );
  const named = [doc.config, ...doc.layers] as Descriptor[];
  for (const d of named)
    if (typeof d?.digest !== "string" || !isSha256Digest(d.digest) || typeof d.size !== "number")
      throw new CudasealError(
        "IMAGE_INVALID",
        `${label}@${m.digest} has a descriptor without digest or size`,
      );
  return named;
}

/** Decide what to write under `tag`, given the source's manifest and the destination's (if any). */
export function planCosignTag(
  tag: string,
  source: StoredManifest,
  existing: StoredManifest | undefined,
  label: string,
): CosignTagPlan {
  if (existing === undefined) return { tag, action: "copied", source, write: source, made: [] };
  if (existing.digest === source.digest) return { tag, action: "unchanged", source, made: [] };
  if (tag.endsWith(".sbom")) return { tag, action: "kept", source, made: [] };
  const theirs = cosignBlobs(existing, `${label}:${tag}`).slice(1);
  const ours = cosignBlobs(source, tag).slice(1);
  // One signature is one layer; two signers of the same payload share the
  // layer's digest but not its signature, so both count.
  const key = (d: Descriptor) => `${d.digest} ${d.annotations?.[SIGNATURE_ANNOTATION] ?? ""}`;
  const have = new Set(theirs.map(key));
  const added: Descriptor[] = [];
  for (const d of ours) {
    if (have.has(key(d))) continue;
    have.add(key(d));
    added.push(d);
  }
  if (added.length === 0) return { tag, action: "unchanged", source, made: [] };
  const layers = [...theirs, ...added];
  const configBytes = signatureConfigBytes(layers);
  const config: Descriptor = {
    mediaType: OCI_CONFIG,
    digest: sha256Digest(configBytes),
    size: configBytes.length,
  };
  // The destination's manifest keeps its other fields (media type, annotations); only config and layers change.
  const doc = parseJson(existing.bytes, `${label}:${tag}`);
  const mediaType = isManifestMediaType(existing.mediaType) ? existing.mediaType : OCI_MANIFEST;
  const bytes = Buffer.from(JSON.stringify({ ...doc, config, layers }), "utf8");
  return {
    tag,
    action: "merged",
    source,
    write: { digest: sha256Digest(bytes), mediaType, bytes },
    made: [{ desc: config, bytes: configBytes }],
  };
}
