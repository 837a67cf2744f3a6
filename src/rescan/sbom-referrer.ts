// The SBOM an image carries: among the referrers of its platform manifest,
// the SPDX or CycloneDX artifact (as `build` stores and `push` carries it:
// artifactType application/spdx+json or application/vnd.cyclonedx+json, the
// document its one layer), read under a cap and checked against its digest,
// then read back into packages. The newest of several (by the created
// annotation) wins, CycloneDX before SPDX at the same time. A document that
// says it describes another image is refused: it was attached to the wrong
// one.
//
// Referrers are not signed by this path: whoever can push to the repository
// can attach one. docs/fleet.md says what that means for a rescan.

import { CudasealError } from "../errors.ts";
import type { StoredManifest } from "../oci/artifact-store.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { SBOM_MEDIA_TYPES, type SbomInventory, sbomInventory } from "../sbom/index.ts";
import { parseJsonValue } from "../source/image-json.ts";
import type { ImageReader } from "../source/types.ts";

/** Largest SBOM read: cudaseal's are well under 1 MiB without file lists, a few MiB with them. */
const MAX_SBOM = 32 * 1024 * 1024;

/** Preference among formats at the same created time: the first is read. */
const PREFERENCE = [SBOM_MEDIA_TYPES.cyclonedx, SBOM_MEDIA_TYPES.spdx] as const;

/** The SBOM referrer found for an image, read back. */
export interface ReadSbom {
  inventory: SbomInventory;
  /** The referrer manifest's digest. */
  referrer: string;
  /** The document blob's digest. */
  document: string;
}

interface Candidate {
  manifest: StoredManifest;
  layer: Descriptor;
  rank: number;
  created: string;
}

/** The SBOM of the platform manifest `digest` that `reader` reads, or undefined when none is attached. */
export async function readSbomReferrer(reader: ImageReader, digest: string): Promise<ReadSbom | undefined> {
  const referrers = await reader.referrers(new Set([digest]));
  const candidates = referrers.flatMap((m) => candidateOf(m, digest));
  if (candidates.length === 0) return undefined;
  candidates.sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : a.rank - b.rank));
  const chosen = candidates[0];
  const label = `${reader.label}: SBOM ${chosen.manifest.digest}`;
  if (typeof chosen.layer.size === "number" && chosen.layer.size > MAX_SBOM)
    throw new CudasealError("SBOM_INVALID", `${label} is ${chosen.layer.size} bytes, more than ${MAX_SBOM}`, {
      hint: "rescan this image from its layers (--no-sbom)",
    });
  const bytes = await reader.blobBytes(chosen.layer, MAX_SBOM);
  const inventory = sbomInventory(bytes, label);
  if (inventory.describes !== undefined && inventory.describes !== digest)
    throw new CudasealError("SBOM_INVALID", `${label} describes ${inventory.describes}, not ${digest}`, {
      hint: "the SBOM was attached to the wrong image; attach the right one, or rescan from the layers (--no-sbom)",
    });
  return { inventory, referrer: chosen.manifest.digest, document: chosen.layer.digest };
}

/** The SBOM document `m` carries for `subject`, if it is an SBOM artifact of it. */
function candidateOf(m: StoredManifest, subject: string): Candidate[] {
  let doc: unknown;
  try {
    doc = parseJsonValue(m.bytes, m.digest);
  } catch {
    return [];
  }
  if (typeof doc !== "object" || doc === null) return [];
  const d = doc as {
    subject?: { digest?: unknown };
    artifactType?: unknown;
    config?: { mediaType?: unknown };
    layers?: unknown;
    annotations?: Record<string, unknown>;
  };
  if (d.subject?.digest !== subject || !Array.isArray(d.layers)) return [];
  const type = typeof d.artifactType === "string" ? d.artifactType : d.config?.mediaType;
  const rank = PREFERENCE.indexOf(type as (typeof PREFERENCE)[number]);
  if (rank < 0) return [];
  const layer = (d.layers as Descriptor[]).find((l) => typeof l?.digest === "string" && l.mediaType === type);
  if (layer === undefined) return [];
  const created = d.annotations?.["org.opencontainers.image.created"];
  return [{ manifest: m, layer, rank, created: typeof created === "string" ? created : "" }];
}
