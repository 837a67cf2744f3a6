// What other parts of cudaseal (the CLI) may use from admission policies.

export type { KyvernoPolicy, KyvernoPolicyInput } from "./kyverno.ts";
export { kyvernoPolicy, kyvernoYaml, PUBLIC_REKOR_URL } from "./kyverno.ts";
export type { AttestationKind, AttestationName, KyvernoCondition } from "./kyverno-attestations.ts";
export { ATTESTATION_KINDS } from "./kyverno-attestations.ts";
export { type ImageValidatingPolicyInput, imageValidatingPolicy } from "./kyverno-image-validating.ts";
export { type ClusterImagePolicyInput, clusterImagePolicy } from "./policy-controller.ts";
export { DEFAULT_POLICY_NAME, type FailureAction, MAX_TIMEOUT_SECONDS } from "./policy-options.ts";
export { policyPublicKey, readPolicyPublicKey } from "./public-key.ts";
export { GPU_SMOKE_PREDICATE_TYPE } from "./requirements.ts";
export type { KeylessIdentity } from "./trust.ts";
