// The cudaseal command line of each unit, as a worker runs it in the
// catalog's folder: a build unit builds one architecture of one variant and
// pushes it as `FIRST-TAG-ARCH`; an index unit joins those into one
// multi-arch index under every tag. Both record the unit's key on what they
// push (done-check.ts), and the layer cache rides along as --cache-from/--cache-to.

import { UNIT_KEY_ANNOTATION } from "./done-check.ts";
import type { CatalogCache, CatalogImage } from "./types.ts";
import { VARIANT_FLAGS, type VariantKey } from "./types.ts";

/** The folder, relative to the catalog, that build units write their OCI layout under before pushing. */
export const UNIT_OUTPUT_DIR = "out";

export interface BuildArgsInput {
  image: CatalogImage;
  id: string;
  variant: Record<string, string>;
  arch: string;
  /** The lock, relative to the catalog, when the image has one. */
  lock?: string;
  /** REPO:TAG-ARCH. */
  push: string;
  key: string;
  cache?: CatalogCache;
}

/** `build SPEC --arch ARCH [--cuda V] [--lock L] -o oci:out/ID --push REF --annotation KEY=… [--cache-from/--cache-to]`. */
export function buildUnitArgs(input: BuildArgsInput): string[] {
  const { image } = input;
  const args = ["build", ...(image.spec !== undefined ? [image.spec] : ["--preset", image.preset ?? ""])];
  args.push("--arch", input.arch);
  for (const [key, value] of Object.entries(input.variant))
    args.push(VARIANT_FLAGS[key as VariantKey], value);
  if (input.lock !== undefined) args.push("--lock", input.lock);
  args.push("-o", `oci:${UNIT_OUTPUT_DIR}/${input.id}`, "--push", input.push);
  args.push("--annotation", `${UNIT_KEY_ANNOTATION}=${input.key}`);
  return [...args, ...cacheArgs(input.cache)];
}

/** `catalog join SOURCE… --to REF… --annotation KEY=…`. */
export function indexUnitArgs(sources: string[], targets: string[], key: string): string[] {
  return [
    "catalog",
    "join",
    ...sources,
    ...targets.flatMap((t) => ["--to", t]),
    "--annotation",
    `${UNIT_KEY_ANNOTATION}=${key}`,
  ];
}

function cacheArgs(cache: CatalogCache | undefined): string[] {
  return [
    ...[cache?.from ?? []].flat().flatMap((from) => ["--cache-from", from]),
    ...(cache?.to !== undefined ? ["--cache-to", cache.to] : []),
  ];
}
