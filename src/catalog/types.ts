// The catalog as cudaseal reads it (schema/catalog.schema.json is the
// published form): the images a team builds, each a spec or preset with its
// architectures, variants, tags and repository.

/** The variant keys a catalog may vary, each one a flag of `cudaseal build`. */
export const VARIANT_FLAGS = { cuda: "--cuda", suite: "--suite" } as const;

export type VariantKey = keyof typeof VARIANT_FLAGS;

/** The registry-backed layer cache of a unit's build (its --cache-from and --cache-to). */
export interface CatalogCache {
  /** One repository, or several tried in order. */
  from?: string | string[];
  to?: string;
}

/** One image of the catalog, as catalog.yaml writes it. */
export interface CatalogImage {
  name: string;
  /** The spec file, relative to the catalog; or `preset`. */
  spec?: string;
  preset?: string;
  /** A lock to replay, relative to the catalog; may hold `{cuda}`-style placeholders. */
  lock?: string;
  /** REGISTRY/REPO, without tag. */
  repository: string;
  archs?: string[];
  variants?: Partial<Record<VariantKey, string[]>>;
  /** Tag templates of the multi-arch index. */
  tags: string[];
  cache?: CatalogCache;
}

/** A loaded catalog.yaml. */
export interface Catalog {
  /** The file as given. */
  path: string;
  /** Its folder, absolute: specs, locks and unit commands are relative to it. */
  dir: string;
  cache?: CatalogCache;
  images: CatalogImage[];
}
