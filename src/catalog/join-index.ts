// `catalog join`: one multi-arch index over single-platform images already
// in a repository (each architecture's build unit pushed one), pushed under
// every tag asked for. Only the index is written: the images it lists, and
// their blobs, are in the same repository already. Each entry's platform is
// read from the image's config, not assumed from a tag.

import { CudasealError } from "../errors.ts";
import { buildIndex } from "../oci/manifest.ts";
import { DOCKER_MANIFEST, OCI_CONFIG, OCI_INDEX, OCI_MANIFEST } from "../oci/media-types.ts";
import type { Platform } from "../oci/platform.ts";
import {
  getBlob,
  openRepository,
  parseRegistryRef,
  type RegistryClientOptions,
  type Repository,
} from "../registry/index.ts";

/** Largest image config read for its platform. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

export interface JoinRequest {
  /** REGISTRY/REPO:TAG (or @digest) of each single-platform image. */
  sources: string[];
  /** REGISTRY/REPO:TAG the index is pushed as, in the same repository. */
  targets: string[];
  annotations?: Record<string, string>;
  registry?: RegistryClientOptions;
}

export interface JoinResult {
  digest: string;
  platforms: string[];
}

/** Write and push the index over `sources` under each of `targets`. */
export async function joinIndex(request: JoinRequest): Promise<JoinResult> {
  if (request.sources.length === 0 || request.targets.length === 0)
    throw new CudasealError("USAGE", "join needs at least one image and one --to");
  const targets = request.targets.map((t) => parseRegistryRef(t));
  const sources = request.sources.map((s) => parseRegistryRef(s));
  const where = `${targets[0].registry}/${targets[0].repository}`;
  const other = [...targets, ...sources].find((r) => `${r.registry}/${r.repository}` !== where);
  if (other !== undefined)
    throw new CudasealError(
      "USAGE",
      `join works in one repository: ${other.registry}/${other.repository} is not ${where}`,
      {
        hint: "push each architecture's image to the repository the index goes to",
      },
    );
  if (targets.some((t) => t.tag === undefined || t.digest !== undefined))
    throw new CudasealError("USAGE", "each --to names a tag", { hint: `--to ${where}:TAG` });
  const repo = openRepository(targets[0].registry, targets[0].repository, request.registry);
  const manifests = [];
  for (const source of sources)
    manifests.push(await platformEntry(repo, source.digest ?? source.tag ?? "latest"));
  const platforms = manifests.map((m) => platformName(m.platform));
  const twice = platforms.find((p, i) => platforms.indexOf(p) !== i);
  if (twice !== undefined) throw new CudasealError("USAGE", `two of the images are for ${twice}`);
  const bytes = Buffer.from(JSON.stringify(buildIndex({ manifests, annotations: request.annotations })));
  let digest = "";
  for (const target of targets) digest = (await repo.putManifest(bytes, OCI_INDEX, target.tag)).digest;
  return { digest, platforms };
}

async function platformEntry(repo: Repository, reference: string) {
  const stored = await repo.getManifest(reference);
  if (stored === undefined)
    throw new CudasealError("REGISTRY_NOT_FOUND", `${repo.label}:${reference} is not in the registry`, {
      hint: "the unit that builds it must run first",
      details: { repository: repo.label, reference },
    });
  if (stored.mediaType !== OCI_MANIFEST && stored.mediaType !== DOCKER_MANIFEST)
    throw new CudasealError(
      "IMAGE_INVALID",
      `${repo.label}:${reference} is not a single-platform image (${stored.mediaType})`,
      {
        hint: "join takes each architecture's image, built with one --arch",
      },
    );
  const manifest = parseJson(stored.bytes, `${repo.label}:${reference}`) as {
    config?: { digest?: unknown; mediaType?: unknown };
  };
  const configDigest = manifest.config?.digest;
  if (typeof configDigest !== "string")
    throw new CudasealError("IMAGE_INVALID", `${repo.label}:${reference} has no config`);
  const config = parseJson(
    await getBlob(repo, configDigest, MAX_CONFIG_BYTES),
    `${repo.label}: config ${configDigest}`,
  );
  if (typeof config.architecture !== "string" || typeof config.os !== "string")
    throw new CudasealError(
      "IMAGE_INVALID",
      `${repo.label}:${reference}: its config names no os and architecture`,
      {
        details: { mediaType: manifest.config?.mediaType ?? OCI_CONFIG },
      },
    );
  const platform: Platform = { architecture: config.architecture, os: config.os };
  if (typeof config.variant === "string") platform.variant = config.variant;
  return { mediaType: stored.mediaType, digest: stored.digest, size: stored.bytes.length, platform };
}

function platformName(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

/** A JSON object from the registry; IMAGE_INVALID for anything else (`null` parses too). */
function parseJson(bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (err) {
    throw new CudasealError("IMAGE_INVALID", `${what} is not JSON`, { cause: err });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new CudasealError("IMAGE_INVALID", `${what} is not a JSON object`);
  return value as Record<string, unknown>;
}
