// Validators for the admission policies' CRD schemas (each CRD's
// openAPIV3Schema: Kyverno's ClusterPolicy v1 and ImageValidatingPolicy v1
// in test/fixtures/schemas/kyverno/, the policy-controller's
// ClusterImagePolicy v1beta1 in test/fixtures/schemas/policy-controller/;
// their README and SOURCE.md files name the sources) that reject what a
// Kubernetes API server would.
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
  return crdValidator(clusterPolicySchema());
}

/** A strict validator for Kyverno's ImageValidatingPolicy (policies.kyverno.io/v1) documents. */
export function imageValidatingPolicyValidator(): ValidateFunction {
  return crdValidator(fixture("kyverno/imagevalidatingpolicy-v1.schema.json"));
}

/** A strict validator for the policy-controller's ClusterImagePolicy (policy.sigstore.dev/v1beta1) documents. */
export function clusterImagePolicyValidator(): ValidateFunction {
  return crdValidator(fixture("policy-controller/clusterimagepolicy-v1beta1.schema.json"));
}

function fixture(path: string): Json {
  return JSON.parse(readFileSync(new URL(`../fixtures/schemas/${path}`, import.meta.url), "utf8"));
}

/**
 * A strict validator for one CRD schema. An API server accepts apiVersion,
 * kind and metadata at the root of every object whether or not the CRD's
 * schema lists them (the policy-controller's does not), so they are added
 * where missing.
 */
function crdValidator(crd: Json): ValidateFunction {
  const root = crd as { [key: string]: Json };
  const properties = (root.properties ?? {}) as { [key: string]: Json };
  const schema: Json = {
    ...root,
    properties: {
      apiVersion: { type: "string" },
      kind: { type: "string" },
      metadata: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
      ...properties,
    },
  };
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
  ajv.addKeyword({ keyword: "x-kubernetes-preserve-unknown-fields" });
  ajv.addKeyword({ keyword: "x-kubernetes-list-type" });
  ajv.addKeyword({ keyword: "x-kubernetes-map-type" });
  ajv.addKeyword({ keyword: "x-kubernetes-int-or-string" });
  ajv.addFormat("int32", { type: "number", validate: (n: number) => n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addFormat("date-time", { type: "string", validate: (s: string) => !Number.isNaN(Date.parse(s)) });
  return ajv.compile(strictSchema(schema) as object);
}
