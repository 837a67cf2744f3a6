// Validators for the official SPDX 2.3 and CycloneDX 1.6 JSON schemas,
// kept as test data in test/fixtures/schemas/.

import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";

const SCHEMAS = new URL("../fixtures/schemas/", import.meta.url);

export function schema(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(file, SCHEMAS), "utf8"));
}

// ajv-formats is CommonJS; its default export arrives wrapped under Node's ESM loader.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv,
) => Ajv;

function validator(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  // CycloneDX also uses "iri-reference" and "idn-email", which ajv-formats lacks: accepted unchecked.
  ajv.addFormat("iri-reference", true);
  ajv.addFormat("idn-email", true);
  return ajv;
}

export type Validate = ReturnType<Ajv["compile"]>;

export function spdxValidator(): Validate {
  return validator().compile(schema("spdx-2.3.schema.json"));
}

export function cyclonedxValidator(): Validate {
  const ajv = validator();
  // The BOM schema names its companions by file name relative to its own $id.
  for (const file of [
    "spdx.SNAPSHOT.schema.json",
    "jsf-0.82.SNAPSHOT.schema.json",
    "cryptography-defs.SNAPSHOT.schema.json",
  ]) {
    ajv.addSchema(schema(file), `http://cyclonedx.org/schema/${file}`);
  }
  return ajv.compile(schema("cyclonedx-1.6.schema.json"));
}
