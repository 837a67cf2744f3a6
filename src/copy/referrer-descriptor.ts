// How a referrer is listed where readers of referrers look (a registry's
// fallback index, a layout's index.json): its descriptor with the fields a
// referrers list repeats from the manifest, artifactType and annotations.

import type { StoredManifest } from "../oci/artifact-store.ts";
import type { Descriptor } from "../oci/descriptor.ts";

/** A referrer's subject digest, and its descriptor with the fields a referrers list repeats. */
export function referrerDescriptor(m: StoredManifest): { subject?: string; desc: Descriptor } {
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
