// Validators for the Kubernetes v1.32.2 standalone strict JSON schemas kept
// in test/fixtures/schemas/kubernetes/ (see its README for the source).

import { readFileSync } from "node:fs";
import type { Options, ValidateFunction } from "ajv";
import Ajv04Module from "ajv-draft-04";

const DIR = new URL("../fixtures/schemas/kubernetes/", import.meta.url);

// ajv-draft-04 is CommonJS; its default export arrives wrapped under Node's ESM loader.
const Ajv04 = ((Ajv04Module as unknown as { default?: unknown }).default ?? Ajv04Module) as new (
  options?: Options,
) => { compile(schema: object): ValidateFunction };

const FILES = {
  Deployment: "deployment-apps-v1.json",
  Job: "job-batch-v1.json",
  Pod: "pod-v1.json",
} as const;

/** A validator for one kind; the schemas' formats (int32, int64, date-time, int-or-string) are Kubernetes', not checked. */
export function kubernetesValidator(kind: keyof typeof FILES): ValidateFunction {
  const schema = JSON.parse(readFileSync(new URL(FILES[kind], DIR), "utf8")) as Record<string, unknown>;
  // The files name the generic `http://json-schema.org/schema#`, which no draft's validator knows by that id.
  delete schema.$schema;
  const ajv = new Ajv04({ strict: false, allErrors: true, validateFormats: false });
  return ajv.compile(schema);
}
