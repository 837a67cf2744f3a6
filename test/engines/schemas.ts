// Validators for the engines' published schemas kept under
// test/fixtures/schemas/ (each folder's SOURCE.md says where from).

import { readFileSync } from "node:fs";
import type { ValidateFunction } from "ajv";
import AjvModule from "ajv";
import Ajv2020Module from "ajv/dist/2020.js";

type AjvClass = new (options?: object) => { compile(schema: object): ValidateFunction };
// ajv is CommonJS; its default export arrives wrapped under Node's ESM loader.
const unwrap = (m: unknown) => ((m as { default?: unknown }).default ?? m) as AjvClass;
const Ajv = unwrap(AjvModule);
const Ajv2020 = unwrap(Ajv2020Module);

const FIXTURES = new URL("../fixtures/schemas/", import.meta.url);
const load = (path: string) =>
  JSON.parse(readFileSync(new URL(path, FIXTURES), "utf8")) as Record<string, unknown>;

/**
 * A copy in which every object that lists its properties allows no others.
 * Argo's schema forbids nothing, so a misspelt field would pass it.
 */
export function strictCopy(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strictCopy);
  if (typeof node !== "object" || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    // Names inside `properties` and `definitions` are not schemas' keywords.
    out[k] =
      k === "properties" || k === "definitions"
        ? Object.fromEntries(Object.entries(v as object).map(([n, s]) => [n, strictCopy(s)]))
        : strictCopy(v);
  }
  if (out.properties !== undefined && out.additionalProperties === undefined)
    out.additionalProperties = false;
  return out;
}

/** Argo Workflows' schema (any of its kinds), as published or made strict. */
export function argoValidator(strict: boolean): ValidateFunction {
  const schema = load("argo-workflows/schema.json");
  delete schema.$schema;
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  return ajv.compile((strict ? strictCopy(schema) : schema) as object);
}

/** SchemaStore's GitHub workflow schema (draft-07). */
export function githubWorkflowValidator(): ValidateFunction {
  const schema = load("github-workflow/github-workflow.json");
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  return ajv.compile(schema);
}
