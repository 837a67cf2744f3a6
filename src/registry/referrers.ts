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
import { MAX_MANIFEST, nextLink, type Repository } from "./repository.ts";

const DIGEST = /^sha256:([0-9a-f]{64})$/;

/** The fallback tag for `digest`: `sha256-HEX`. */
export function referrersTag(digest: string): string {
  const m = DIGEST.exec(digest);
  if (!m) throw new CudasealError("IMAGE_INVALID", `not a sha256 digest: ${JSON.stringify(digest)}`);
  return `sha256-${m[1]}`;
}

/** Pages of a referrers list followed at most: far more than any real image has, bounded for a hostile one. */
const MAX_PAGES = 64;

/**
 * Referrers of `digest`, by the API where the registry has it (every page of
 * it: the spec lets a registry split the list and link the next page), else
 * by the fallback tag. Paging stops once more than `max` are listed, so a
 * caller's cap bounds the work and still sees that it was passed.
 */
export async function listReferrers(
  repo: Repository,
  digest: string,
  artifactType?: string,
  max = Number.POSITIVE_INFINITY,
): Promise<Descriptor[]> {
  const tag = referrersTag(digest);
  const query = artifactType === undefined ? "" : `?artifactType=${encodeURIComponent(artifactType)}`;
  let url: string | undefined = `/v2/${repo.name}/referrers/${digest}${query}`;
  const descs: Descriptor[] = [];
  let filtered = true;
  for (let page = 0; url !== undefined && page < MAX_PAGES && descs.length <= max; page++) {
    const res = await repo.client.request({
      method: "GET",
      url,
      scopes: [repo.pullScope],
      headers: { accept: OCI_INDEX },
      // 404 (and 400/405 from some proxies): no referrers API here.
      ok: [200, 400, 404, 405],
      what: `list referrers of ${digest}`,
      repository: repo.name,
    });
    if (res.status !== 200 || !(res.headers.get("content-type") ?? "").startsWith(OCI_INDEX)) {
      await discard(res);
      if (page > 0)
        throw new CudasealError(
          "REGISTRY_INVALID_RESPONSE",
          `${repo.label}: page ${page + 1} of the referrers of ${digest} is not a referrers index`,
        );
      const index = await repo.getManifest(tag);
      const fallback = index === undefined ? [] : manifestsOf(index.bytes, repo);
      return artifactType === undefined ? fallback : fallback.filter((d) => d.artifactType === artifactType);
    }
    descs.push(
      ...manifestsOf(await readCapped(res, MAX_MANIFEST, `${repo.label}: referrers of ${digest}`), repo),
    );
    filtered &&= res.headers.get("oci-filters-applied")?.split(",").includes("artifactType") ?? false;
    url = nextLink(res.headers.get("link"));
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
