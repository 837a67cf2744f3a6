// A Kyverno ImageValidatingPolicy (policies.kyverno.io/v1, Kyverno 1.17 or
// later): the CEL form of image verification. Its one attestor is the key
// or the keyless identity; its validations call Kyverno's CEL functions
// (verifyImageSignatures, verifyAttestationSignatures, extractPayload) over
// every container, init container and ephemeral container image that
// matches the patterns. Kyverno finds a Sigstore bundle stored as an OCI
// 1.1 referrer by itself and falls back to cosign's tags, so one policy
// reads what `cudaseal sign` writes either way. A key-based policy turns
// the transparency log and SCT checks off (`insecureIgnoreTlog`,
// `insecureIgnoreSCT`): cudaseal uploads nothing to Rekor, and with both
// off Kyverno reaches no Sigstore service at all.

import { checkRekorUrl, type KyvernoPolicy, kyvernoYaml, who } from "./kyverno.ts";
import { type CommonPolicyInput, commonPolicyOptions } from "./policy-options.ts";
import { attestationRequirements, celCheck, type RequirementsInput } from "./requirements.ts";
import { type PolicyTrust, type PolicyTrustInput, policyTrust } from "./trust.ts";

export interface ImageValidatingPolicyInput extends CommonPolicyInput, PolicyTrustInput, RequirementsInput {
  /** Keyless: the Rekor log the signatures are in (default: the public one). */
  rekorUrl?: string;
}

type Obj = Record<string, unknown>;

const ATTESTOR = "cudaseal";
/** Every image of the pod that matched the patterns: Kyverno fills each list, empty when there are none. */
const IMAGES = "(images.containers + images.initContainers + images.ephemeralContainers)";

/** The ImageValidatingPolicy for `input`: pure, no I/O. */
export function imageValidatingPolicy(input: ImageValidatingPolicyInput): KyvernoPolicy {
  const trust = policyTrust(input);
  const { images, name, action, timeoutSeconds, pullSecrets } = commonPolicyOptions(input);
  const requirements = attestationRequirements(input);
  const rekorUrl = checkRekorUrl(input.rekorUrl, trust);

  const validations: Obj[] = [
    {
      expression: `${IMAGES}.all(image, verifyImageSignatures(image, [attestors.${ATTESTOR}]) > 0)`,
      message:
        trust.kind === "key"
          ? "an image is not signed by the pinned key"
          : `an image is not signed by ${who(trust)}`,
    },
  ];
  for (const r of requirements) {
    validations.push({
      expression: `${IMAGES}.all(image, verifyAttestationSignatures(image, attestations.${r.name}, [attestors.${ATTESTOR}]) > 0)`,
      message: `an image has no ${r.name} attestation signed by the same signer`,
    });
    for (const check of r.checks) {
      validations.push({
        expression: `${IMAGES}.all(image, ${celCheck(`extractPayload(image, attestations.${r.name})`, check)})`,
        message: check.message,
      });
    }
  }

  const spec: Obj = {
    // Fail closed when enforcing: an unreachable Kyverno must not mean unverified pods run.
    failurePolicy: action === "Enforce" ? "Fail" : "Ignore",
    validationActions: [action === "Enforce" ? "Deny" : "Audit"],
    webhookConfiguration: { timeoutSeconds },
    // Verification needs the admission request and the registry; background scans would only repeat it.
    evaluation: { background: { enabled: false } },
    matchConstraints: {
      resourceRules: [
        { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["pods"] },
      ],
    },
    matchImageReferences: images.map((glob) => ({ glob })),
    validationConfigurations: {
      // Replace tags by the verified digests; Audit admits the pod as written.
      mutateDigest: action === "Enforce",
      verifyDigest: true,
      required: true,
    },
    attestors: [{ name: ATTESTOR, cosign: cosignAttestor(trust, rekorUrl) }],
  };
  if (requirements.length) {
    spec.attestations = requirements.map((r) => ({ name: r.name, intoto: { type: r.predicateType } }));
  }
  spec.validations = validations;
  if (pullSecrets.length) spec.credentials = { secrets: pullSecrets };

  const document: Obj = {
    apiVersion: "policies.kyverno.io/v1",
    kind: "ImageValidatingPolicy",
    metadata: { name, labels: { "app.kubernetes.io/managed-by": "cudaseal" } },
    spec,
  };
  return { document, text: kyvernoYaml(document), notes: [] };
}

function cosignAttestor(trust: PolicyTrust, rekorUrl: string): Obj {
  if (trust.kind === "key") {
    return { key: { data: trust.publicKey }, ctlog: { insecureIgnoreTlog: true, insecureIgnoreSCT: true } };
  }
  const { kind: _kind, ...identity } = trust;
  return { keyless: { identities: [identity] }, ctlog: { url: rekorUrl } };
}
