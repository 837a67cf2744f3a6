// An image's variants as combinations, and the names made from them: tags
// with `{cuda}` filled in, lock paths, and unit ids that engines accept as
// task and job names (DNS labels).

import { createHash } from "node:crypto";
import { CudasealError } from "../errors.ts";
import { type CatalogImage, VARIANT_FLAGS, type VariantKey } from "./types.ts";

/** Every combination of the image's variant values: keys in a fixed order, values in the catalog's. */
export function variantsOf(image: CatalogImage): Record<string, string>[] {
  let combos: Record<string, string>[] = [{}];
  for (const key of Object.keys(VARIANT_FLAGS) as VariantKey[]) {
    const values = image.variants?.[key];
    if (values === undefined) continue;
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  }
  return combos;
}

const PLACEHOLDER = /\{([^{}]*)\}/g;

/** `template` with each `{key}` replaced by the variant's value; CATALOG_INVALID for a key it has not. */
export function fillTemplate(template: string, variant: Record<string, string>, where: string): string {
  return template.replace(PLACEHOLDER, (_, key: string) => {
    const value = variant[key];
    if (value === undefined)
      throw new CudasealError(
        "CATALOG_INVALID",
        `${where}: {${key}} in ${JSON.stringify(template)} is no variant of this image`,
        {
          hint: `name a variant the image has (${Object.keys(variant).join(", ") || "it has none"})`,
          details: { template, key },
        },
      );
    return value;
  });
}

const TAG = /^[\w][\w.-]{0,127}$/;

/** The index's tags for one variant, checked as registry tags (with room for `-ARCH`). */
export function tagsOf(image: CatalogImage, variant: Record<string, string>): string[] {
  return image.tags.map((t) => {
    const tag = fillTemplate(t, variant, `image ${image.name}`);
    if (!TAG.test(`${tag}-amd64`))
      throw new CudasealError(
        "CATALOG_INVALID",
        `image ${image.name}: ${JSON.stringify(tag)} is not a registry tag`,
        {
          hint: "tags are letters, digits, '_', '.' and '-', at most 128 with the -ARCH suffix",
          details: { image: image.name, tag },
        },
      );
    return tag;
  });
}

const MAX_ID = 63;

/** A DNS-label id: `base-cuda12-8-amd64`; a long one is cut and made unique by a hash. */
export function unitId(image: string, variant: Record<string, string>, arch?: string): string {
  const parts = [image, ...Object.entries(variant).map(([k, v]) => `${k}${v}`), ...(arch ? [arch] : [])];
  const slug = parts
    .join("-")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  if (slug.length <= MAX_ID) return slug;
  const hash = createHash("sha256").update(parts.join("\0")).digest("hex").slice(0, 8);
  return `${slug.slice(0, MAX_ID - 9).replace(/-+$/, "")}-${hash}`;
}
