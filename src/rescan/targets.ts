// What a rescan covers, as image references: those given, and every tag of
// each repository named (`REGISTRY/REPO`), through the Distribution API's
// tags list (paginated by the registry client, which stops paging at the
// cap). Tags that name no image are left out: the referrers fallback index
// (`sha256-<hex>`) and cosign's signature, attestation and SBOM tags
// (`sha256-<hex>.sig` …); so is anything that is no tag by the distribution
// spec's grammar, since the list is the registry's word and a "tag" holding
// terminal escapes would reach the summary.

import { CudasealError } from "../errors.ts";
import { openRepository, parseRegistryRef, type RegistryClientOptions } from "../registry/index.ts";

/** Most tags one repository may list before the rescan refuses it (`maxTags`). */
export const DEFAULT_MAX_TAGS = 10_000;

const NOT_AN_IMAGE = /^sha256-[0-9a-f]{64}(\.(sig|att|sbom))?$/;
/** A tag, as the distribution spec writes its grammar. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

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
  const max = options.maxTags ?? DEFAULT_MAX_TAGS;
  const tags = await repo.tags({ keep: (t) => TAG.test(t) && !NOT_AN_IMAGE.test(t), max });
  // A misspelt repository lists nothing (the registry's 404 reads as no tags): a gate must not pass over it.
  if (tags.length === 0)
    throw new CudasealError("REGISTRY_NOT_FOUND", `${repo.label} lists no image tags`, {
      hint: "check the repository's name (REGISTRY/REPO), and that its images are tagged",
    });
  if (tags.length > max)
    throw new CudasealError("REGISTRY_TOO_LARGE", `${repo.label} lists more than ${max} image tags`, {
      hint: "raise the cap with --max-tags, or name the tags to rescan",
    });
  return [...new Set(tags)].sort().map((t) => `${ref.registry}/${ref.repository}:${t}`);
}
