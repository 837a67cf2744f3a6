// What other parts of cudaseal (the CLI) may use from admission policies.

export type { FailureAction, KyvernoPolicy, KyvernoPolicyInput, KyvernoPolicyOptions } from "./kyverno.ts";
export {
  DEFAULT_POLICY_NAME,
  kyvernoPolicy,
  kyvernoPolicyFromKeyFile,
  kyvernoYaml,
  MAX_TIMEOUT_SECONDS,
} from "./kyverno.ts";
export type { AttestationKind, AttestationName, KyvernoCondition } from "./kyverno-attestations.ts";
export { ATTESTATION_KINDS } from "./kyverno-attestations.ts";
export { policyPublicKey, readPolicyPublicKey } from "./public-key.ts";
