// A registry as an image source (src/source/image-source.ts): the manifest
// the reference names, an index followed down to the platform asked for,
// the config read whole under a cap and checked, layers streamed and checked
// as they are read. Every command that reads images reads registry images
// through this.

import { CudasealError } from "../errors.ts";
import { type Platform, platformMatches, platformString } from "../oci/platform.ts";
import { choosePlatform, noPlatform } from "../source/choose-platform.ts";
import { hostArch } from "../source/host-arch.ts";
import type { ImageRef } from "../source/image-ref.ts";
import type { OpenedImage, OpenImageOptions, SourceLayer } from "../source/image-source.ts";
import { MAX_JSON, parseJson, sourceLayer } from "../source/layout-image.ts";
import { getBlob, streamBlob } from "./blob-read.ts";
import { manifestReference } from "./reference.ts";
import { openRepository, type Repository } from "./repository.ts";

export interface Desc {
  digest: string;
  mediaType?: string;
  size: number;
  platform?: Platform;
  artifactType?: string;
}

/** Open one platform of the registry image `ref` names. */
export async function openRegistryImage(
  ref: Extract<ImageRef, { transport: "docker" }>,
  options: OpenImageOptions,
): Promise<OpenedImage> {
  const repo = openRepository(ref.registry, ref.repository, options.registry);
  const arch = options.arch ?? hostArch();
  let reference = manifestReference(ref);
  let chosenByPlatform = false;
  // The outermost index, the digest users push and sign (VEX may name it).
  let indexDigest: string | undefined;
  for (let depth = 0; depth < 4; depth++) {
    const stored = await repo.getManifest(reference);
    if (stored === undefined)
      throw new CudasealError("REGISTRY_NOT_FOUND", `${repo.label} has no manifest ${reference}`, {
        hint: "check the repository name and tag",
        details: { registry: ref.registry, repository: ref.repository, reference },
      });
    const doc = parseJson(stored.bytes, `${repo.label}@${stored.digest}`);
    if (Array.isArray(doc.manifests)) {
      indexDigest ??= stored.digest;
      const desc = choosePlatform(doc.manifests as Desc[], arch, repo.label, options.arch !== undefined);
      chosenByPlatform ||= desc.platform !== undefined;
      reference = desc.digest;
      continue;
    }
    const configDesc = doc.config as Desc | undefined;
    if (typeof configDesc?.digest !== "string")
      throw new CudasealError("IMAGE_INVALID", `${repo.label}@${stored.digest} has no config`);
    const config = parseJson(await getBlob(repo, configDesc.digest, MAX_JSON), `${repo.label}: config`);
    if (options.arch !== undefined && !chosenByPlatform && typeof config.architecture === "string") {
      const p: Platform = { architecture: config.architecture, os: String(config.os ?? "linux") };
      if (typeof config.variant === "string") p.variant = config.variant;
      if (!platformMatches(p, options.arch)) throw noPlatform(repo.label, options.arch, [platformString(p)]);
    }
    if (!Array.isArray(doc.layers))
      throw new CudasealError("IMAGE_INVALID", `${stored.digest} has no layers`);
    return {
      manifestDigest: stored.digest,
      ...(indexDigest !== undefined ? { indexDigest } : {}),
      config,
      layers: (doc.layers as Desc[]).map((l) => layerOf(repo, l)),
    };
  }
  throw new CudasealError("IMAGE_INVALID", `${repo.label}: indexes nest too deep`);
}

function layerOf(repo: Repository, l: Desc): SourceLayer {
  return sourceLayer(l, repo.label, () => streamBlob(repo, l.digest, l.size));
}
