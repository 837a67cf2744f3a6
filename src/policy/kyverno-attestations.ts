// The attestations a Kyverno policy can require, by cosign's `--type`
// names: the predicate type URI cosign writes into the in-toto Statement
// (cosign cmd/cosign/cli/options/predicate.go, PredicateTypeMap) and one
// condition on the predicate that every real one of that type meets and an
// empty or mislabelled one does not. Kyverno evaluates a condition's `key`
// as JMESPath over the predicate; a path that is missing fails the rule.

import { CUDASEAL_BUILD_TYPE } from "../provenance/slsa-provenance.ts";

/** A condition as Kyverno's `attestations[].conditions[].all[]` takes it. */
export interface KyvernoCondition {
  key: string;
  operator: "Equals" | "NotEquals";
  value: string;
  message: string;
}

export interface AttestationKind {
  /** The predicate type URI, as cosign maps the `--type` name. */
  predicateType: string;
  condition: KyvernoCondition;
  /** What `cudaseal attest --type` signs it with. */
  attestType: string;
}

/** The attestation kinds `cudaseal policy kyverno --attestation` knows. */
export const ATTESTATION_KINDS = {
  cyclonedx: {
    predicateType: "https://cyclonedx.org/bom",
    attestType: "cyclonedx",
    condition: {
      key: "{{ bomFormat }}",
      operator: "Equals",
      value: "CycloneDX",
      message: "the CycloneDX attestation is not a CycloneDX BOM",
    },
  },
  spdx: {
    predicateType: "https://spdx.dev/Document",
    // SPDX tag-value (`--type spdx`) makes the predicate a string Kyverno cannot query.
    attestType: "spdxjson",
    condition: {
      key: "{{ SPDXID }}",
      operator: "Equals",
      value: "SPDXRef-DOCUMENT",
      message: "the SPDX attestation is not an SPDX JSON document",
    },
  },
  slsaprovenance: {
    predicateType: "https://slsa.dev/provenance/v0.2",
    attestType: "slsaprovenance",
    condition: {
      key: "{{ builder.id }}",
      operator: "NotEquals",
      value: "",
      message: "the SLSA v0.2 provenance names no builder",
    },
  },
  slsaprovenance1: {
    predicateType: "https://slsa.dev/provenance/v1",
    attestType: "slsaprovenance1",
    // cudaseal's own provenance (src/provenance): the image came out of a cudaseal build.
    condition: {
      key: "{{ buildDefinition.buildType }}",
      operator: "Equals",
      value: CUDASEAL_BUILD_TYPE,
      message: "the SLSA provenance is not from a cudaseal build",
    },
  },
} as const satisfies Record<string, AttestationKind>;

export type AttestationName = keyof typeof ATTESTATION_KINDS;

/** True when `name` is one of ATTESTATION_KINDS. */
export function isAttestationName(name: string): name is AttestationName {
  return Object.hasOwn(ATTESTATION_KINDS, name);
}
