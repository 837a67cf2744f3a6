// The manifests that point at another by `subject` (signatures, SBOMs,
// attestations). OCI 1.1 registries answer `GET /v2/NAME/referrers/DIGEST`
// with an index of them. Older registries (distribution 2.x among them) do
// not, and the spec's fallback applies: an index kept under the tag
// `sha256-HEX` lists the referrers, and whoever pushes a referrer to such a
// registry adds it to that index themselves.

import { CudasealError } from "../errors.ts";
import { discard } from "../http/index.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { OCI_INDEX } from "../oci/media-types.ts";
import { readCapped } from "./read-capped.ts";
import { MAX_MANIFEST, type Repository } from "./repository.ts";

const DIGEST = /^sha256:([0-9a-f]{64})$/;

/** The fallback tag for `digest`: `sha256-HEX`. */
export function referrersTag(digest: string): string {
  const m = DIGEST.exec(digest);
  if (!m) throw new CudasealError("IMAGE_INVALID", `not a sha256 digest: ${JSON.stringify(digest)}`);
  return `sha256-${m[1]}`;
}

/** Referrers of `digest`, by the API where the registry has it, else by the fallback tag. */
export async function listReferrers(
  repo: Repository,
  digest: string,
  artifactType?: string,
): Promise<Descriptor[]> {
  const tag = referrersTag(digest);
  const query = artifactType === undefined ? "" : `?artifactType=${encodeURIComponent(artifactType)}`;
  const res = await repo.client.request({
    method: "GET",
    url: `/v2/${repo.name}/referrers/${digest}${query}`,
    scopes: [repo.pullScope],
    headers: { accept: OCI_INDEX },
    // 404 (and 400/405 from some proxies): no referrers API here.
    ok: [200, 400, 404, 405],
    what: `list referrers of ${digest}`,
    repository: repo.name,
  });
  let descs: Descriptor[];
  let filtered = false;
  if (res.status === 200 && (res.headers.get("content-type") ?? "").startsWith(OCI_INDEX)) {
    descs = manifestsOf(await readCapped(res, MAX_MANIFEST, `${repo.label}: referrers of ${digest}`), repo);
    filtered = res.headers.get("oci-filters-applied")?.split(",").includes("artifactType") ?? false;
  } else {
    await discard(res);
    const index = await repo.getManifest(tag);
    descs = index === undefined ? [] : manifestsOf(index.bytes, repo);
  }
  return artifactType === undefined || filtered
    ? descs
    : descs.filter((d) => d.artifactType === artifactType);
}

/**
 * Record `referrer` in the fallback index of `subject` (a registry without the
 * referrers API). Read-modify-write: two pushers racing may lose one entry,
 * as with every client of the fallback scheme.
 */
export async function addFallbackReferrer(
  repo: Repository,
  subject: string,
  referrer: Descriptor,
): Promise<void> {
  const tag = referrersTag(subject);
  const current = await repo.getManifest(tag);
  const manifests = current === undefined ? [] : manifestsOf(current.bytes, repo);
  if (manifests.some((d) => d.digest === referrer.digest)) return;
  manifests.push(referrer);
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }));
  await repo.putManifest(bytes, OCI_INDEX, tag);
}

function manifestsOf(bytes: Buffer, repo: Repository): Descriptor[] {
  let doc: { manifests?: unknown };
  try {
    doc = JSON.parse(bytes.toString("utf8")) as typeof doc;
  } catch (err) {
    throw new CudasealError("REGISTRY_INVALID_RESPONSE", `${repo.label}: a referrers index is not JSON`, {
      cause: err,
    });
  }
  if (!Array.isArray(doc.manifests))
    throw new CudasealError(
      "REGISTRY_INVALID_RESPONSE",
      `${repo.label}: a referrers index lists no manifests`,
    );
  return (doc.manifests as Descriptor[]).filter(
    (d) => d !== null && typeof d === "object" && typeof d.digest === "string" && DIGEST.test(d.digest),
  );
}
