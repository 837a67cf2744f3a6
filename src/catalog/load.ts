// Reads catalog.yaml: capped, parsed as YAML, checked against
// schema/catalog.schema.json, then the checks a schema cannot state (image
// names unique). Every mistake is CATALOG_INVALID naming the file, the line
// and the field.

import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CudasealError } from "../errors.ts";
import { describeSchemaError, parseYamlDocument, shippedSchema } from "../spec/load.ts";
import { readRegularFile } from "../util/read-regular-file.ts";
import type { Catalog, CatalogImage } from "./types.ts";

const SCHEMA_PATH = fileURLToPath(new URL("../../schema/catalog.schema.json", import.meta.url));
/** Largest catalog read: a thousand images fit in a small part of it. */
const MAX_CATALOG_BYTES = 4 * 1024 * 1024;

const validate = shippedSchema(SCHEMA_PATH);

/** Load and check a catalog file. */
export async function loadCatalog(path: string): Promise<Catalog> {
  let text: string;
  try {
    text = (await readRegularFile(path, { what: "catalog", max: MAX_CATALOG_BYTES })).toString("utf8");
  } catch (err) {
    if (err instanceof CudasealError) throw err;
    throw new CudasealError("CATALOG_INVALID", `cannot read catalog ${path}`, {
      hint: "check the path of catalog.yaml",
      cause: err,
    });
  }
  return { path, dir: dirname(resolve(path)), ...parseCatalogText(text, path) };
}

/** Parse and check one catalog document; errors name file:line and the field. */
export function parseCatalogText(text: string, file: string): Pick<Catalog, "cache" | "images"> {
  const { doc, lineCounter } = parseYamlDocument(
    text,
    file,
    "CATALOG_INVALID",
    "the catalog must be valid YAML",
  );
  const value = doc.toJS() ?? {};
  const errors = validate(value).filter((e) => e.keyword !== "oneOf");
  if (errors.length > 0 || !Array.isArray(value.images)) {
    const messages = errors.slice(0, 5).map((e) => describeSchemaError(e, doc, lineCounter, file));
    throw new CudasealError("CATALOG_INVALID", messages.join("\n  ") || `${file}: not a catalog`, {
      hint: 'schema/catalog.schema.json lists every field; write versions as strings: cuda: ["12.4", "12.8"]',
      details: { file, errors: errors.map((e) => ({ path: e.instancePath, message: e.message })) },
    });
  }
  const images = value.images as CatalogImage[];
  for (const [i, image] of images.entries()) {
    // The schema's oneOf says it too, but in words no one would recognise.
    if ((image.spec === undefined) === (image.preset === undefined))
      throw new CudasealError(
        "CATALOG_INVALID",
        `${file}: images.${i} (${image.name}): give spec or preset, one of them`,
        {
          details: { file, image: image.name },
        },
      );
    if (images.findIndex((other) => other.name === image.name) !== i)
      throw new CudasealError("CATALOG_INVALID", `${file}: two images are called ${image.name}`, {
        hint: "unit ids start with the image's name, so each must be unique",
        details: { file, image: image.name },
      });
  }
  return { cache: value.cache, images };
}
