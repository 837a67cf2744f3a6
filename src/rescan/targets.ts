// What a rescan covers, as image references: those given, and every tag of
// each repository named (`REGISTRY/REPO`), through the Distribution API's
// tags list (paginated by the registry client, capped here). Tags that name
// no image are left out: the referrers fallback index (`sha256-<hex>`) and
// cosign's signature, attestation and SBOM tags (`sha256-<hex>.sig` …).

import { CudasealError } from "../errors.ts";
import { openRepository, parseRegistryRef, type RegistryClientOptions } from "../registry/index.ts";

/** Most tags one repository may list before the rescan refuses it (`maxTags`). */
export const DEFAULT_MAX_TAGS = 10_000;

const NOT_AN_IMAGE = /^sha256-[0-9a-f]{64}(\.(sig|att|sbom))?$/;

/** `registry/repo:tag` for every image tag of the repository `repository` (`REGISTRY/REPO`), sorted. */
export async function repositoryRefs(
  repository: string,
  options: { registry?: RegistryClientOptions; maxTags?: number } = {},
): Promise<string[]> {
  const ref = parseRegistryRef(repository);
  if (ref.tag !== undefined || ref.digest !== undefined)
    throw new CudasealError(
      "USAGE",
      `--repository takes REGISTRY/REPO, without a tag or digest: ${repository}`,
      {
        hint: "name the image itself as an argument to rescan one tag",
      },
    );
  const repo = openRepository(ref.registry, ref.repository, options.registry);
  const tags = (await repo.tags()).filter((t) => !NOT_AN_IMAGE.test(t));
  const max = options.maxTags ?? DEFAULT_MAX_TAGS;
  if (tags.length > max)
    throw new CudasealError(
      "REGISTRY_TOO_LARGE",
      `${repo.label} lists ${tags.length} image tags, more than ${max}`,
      {
        hint: `raise the cap with --max-tags ${tags.length}, or name the tags to rescan`,
      },
    );
  return [...new Set(tags)].sort().map((t) => `${ref.registry}/${ref.repository}:${t}`);
}
