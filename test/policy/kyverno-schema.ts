// A validator for Kyverno's ClusterPolicy v1 schema (the CRD's
// openAPIV3Schema, kept in test/fixtures/schemas/kyverno/; its README names
// the source) that rejects what a Kubernetes API server would.
//
// A CRD schema leaves unknown fields to the API server, which prunes them,
// or, under strict field validation (`kubectl apply`'s default since
// Kubernetes 1.27), refuses them. ajv would accept them silently, so every
// object schema that lists its properties and neither sets
// additionalProperties nor x-kubernetes-preserve-unknown-fields gets
// `additionalProperties: false` here, as kubeconform's strict schemas do.
// The x-kubernetes-* keywords are declared as annotations, and the
// integer formats are range-checked as the API server does.

import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";

const FILE = new URL("../fixtures/schemas/kyverno/clusterpolicy-v1.schema.json", import.meta.url);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The schema as the fixture has it. */
export function clusterPolicySchema(): Record<string, Json> {
  return JSON.parse(readFileSync(FILE, "utf8"));
}

/** `schema` with unknown fields refused wherever Kubernetes would refuse them. */
export function strictSchema(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(strictSchema);
  if (schema === null || typeof schema !== "object") return schema;
  const out: { [key: string]: Json } = {};
  for (const [k, v] of Object.entries(schema)) {
    // `properties` maps field names to schemas: recurse into each schema, not into the map as one.
    out[k] =
      k === "properties" && v !== null && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).map(([name, s]) => [name, strictSchema(s)]))
        : strictSchema(v);
  }
  if (
    out.type === "object" &&
    out.properties !== undefined &&
    out.additionalProperties === undefined &&
    out["x-kubernetes-preserve-unknown-fields"] !== true
  ) {
    out.additionalProperties = false;
  }
  return out;
}

/** A strict validator for ClusterPolicy documents. */
export function clusterPolicyValidator(): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
  ajv.addKeyword({ keyword: "x-kubernetes-preserve-unknown-fields" });
  ajv.addKeyword({ keyword: "x-kubernetes-list-type" });
  ajv.addKeyword({ keyword: "x-kubernetes-map-type" });
  ajv.addKeyword({ keyword: "x-kubernetes-int-or-string" });
  ajv.addFormat("int32", { type: "number", validate: (n: number) => n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addFormat("date-time", { type: "string", validate: (s: string) => !Number.isNaN(Date.parse(s)) });
  return ajv.compile(strictSchema(clusterPolicySchema()) as object);
}
