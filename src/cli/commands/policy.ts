// `cudaseal policy KIND`: an admission policy that lets a cluster run only
// images signed by a given key or keyless identity, and, when asked, with
// signed attestations (SBOM, provenance, the GPU smoke test). KIND is
// Kyverno's ClusterPolicy, Kyverno's ImageValidatingPolicy or the Sigstore
// policy-controller's ClusterImagePolicy.

import { CudasealError } from "../../errors.ts";
import {
  ATTESTATION_KINDS,
  clusterImagePolicy,
  DEFAULT_POLICY_NAME,
  GPU_SMOKE_PREDICATE_TYPE,
  imageValidatingPolicy,
  type KeylessIdentity,
  type KyvernoPolicy,
  kyvernoPolicy,
  readPolicyPublicKey,
} from "../../policy/index.ts";
import { writeOutputFile } from "../../util/atomic-file.ts";
import { type Command, type FlagValues, listFlag, stringFlag } from "../command.ts";

const KINDS = ["kyverno", "kyverno-ivp", "policy-controller"];

export const policyCommand: Command = {
  name: "policy",
  help: `Usage: cudaseal policy KIND --key cosign.pub --image PATTERN [--image PATTERN…] [options]
       cudaseal policy KIND --certificate-identity ID --certificate-oidc-issuer URL --image PATTERN [options]

Writes an admission policy: a pod whose image matches a pattern is admitted
only when the image is signed by the public key in --key (as 'cudaseal
sign' or 'cosign sign --key' make), or keylessly by the certificate
identity and OIDC issuer given, and, with --attestation or
--require-gpu-smoke, carries signed attestations of those types by the same
signer ('cudaseal attest'). Tags are replaced by the verified digest
(Enforce only), so what runs is what was checked. Apply it with
'kubectl apply -f'. See docs/admission.md for which kind to choose.

Kinds:
  kyverno            Kyverno ClusterPolicy (kyverno.io/v1, Kyverno 1.13+): verifyImages
                     of type Cosign (cosign's .sig/.att tags), or with --bundle of type
                     SigstoreBundle (Sigstore bundles as OCI 1.1 referrers, cosign 3's layout)
  kyverno-ivp        Kyverno ImageValidatingPolicy (policies.kyverno.io/v1, Kyverno 1.17+):
                     CEL validations; reads bundles and tags alike
  policy-controller  Sigstore policy-controller ClusterImagePolicy (policy.sigstore.dev/v1beta1):
                     key-based reads tags, keyless reads bundles

A key-based policy carries the key itself and checks no transparency log
(cudaseal uploads nothing to Rekor): it works with no route to Sigstore's
public services. A keyless policy checks the Fulcio certificate's identity
and the Rekor log (Sigstore's public instance unless --rekor-url, or
--trust-root-ref for the policy-controller). Identity regular expressions
must be anchored at their start (^…).

Patterns are image references with '*' (any characters) and '?' (one, not
for policy-controller) as wildcards, matched against each image's full
reference, tag or digest included: 'registry.example/org/*' covers every
repository, tag and digest under registry.example/org. Name the registry
host: Kyverno's ClusterPolicy and the policy-controller match Docker Hub
images by their full name, so 'org/app*' matches nothing.

Signer (one of):
  --key FILE                              the public key, cosign.pub (PEM, ECDSA P-256)
  --certificate-identity ID               keyless: the certificate's subject (an email, a URI)
  --certificate-identity-regexp RE        keyless: the subject, as a regular expression starting with ^
  --certificate-oidc-issuer URL           keyless: the OIDC issuer
  --certificate-oidc-issuer-regexp RE     keyless: the issuer, as a regular expression starting with ^

Options:
  --image PATTERN         image reference pattern to verify, repeatable (required)
  --attestation TYPE      also require a signed attestation, repeatable: ${Object.keys(ATTESTATION_KINDS).join(", ")}
  --require-gpu-smoke     also require a signed GPU smoke attestation whose result is pass
  --driver-branch N       with --require-gpu-smoke: the driver branches it may have run on (550, 570),
                          repeatable (default: any)
  --bundle                kyverno: verify Sigstore bundles (type SigstoreBundle) instead of cosign's tags
  --rekor-url URL         keyless, kyverno kinds: the Rekor log (default: the public one)
  --trust-root-ref NAME   keyless, policy-controller: the TrustRoot resource to verify against
  --action ACTION         Enforce (refuse unverified pods; default) or Audit (admit, report)
  --name NAME             the policy's metadata.name (default: ${DEFAULT_POLICY_NAME})
  --timeout SECONDS       kyverno kinds: the admission webhook's timeout, 1 to 30 (default: 30)
  --pull-secret NAME      Secret with pull credentials for the registry, repeatable
  --output FILE           write the YAML to FILE instead of stdout

Attestation types and what the policy checks in them:
  cyclonedx        https://cyclonedx.org/bom, bomFormat is CycloneDX
  spdx             https://spdx.dev/Document, an SPDX JSON document (attest with --type spdxjson)
  slsaprovenance   https://slsa.dev/provenance/v0.2, names a builder
  slsaprovenance1  https://slsa.dev/provenance/v1, built by cudaseal
  gpu smoke        ${GPU_SMOKE_PREDICATE_TYPE}, result is pass (and driver.branch
                   one of --driver-branch), with --require-gpu-smoke

Examples:
  cudaseal policy kyverno --key cosign.pub --image 'registry.example/org/*' > verify-images.yaml
  kubectl apply -f verify-images.yaml
  cudaseal policy kyverno --key cosign.pub --bundle --image 'registry.example/org/cuda-*' \\
    --attestation cyclonedx --attestation slsaprovenance1 --output verify-images.yaml
  cudaseal policy kyverno-ivp --image 'registry.example/org/*' \\
    --certificate-identity-regexp '^https://github.com/org/images/' \\
    --certificate-oidc-issuer https://token.actions.githubusercontent.com
  cudaseal policy policy-controller --key cosign.pub --image 'registry.example/org/*' \\
    --require-gpu-smoke --driver-branch 550 --driver-branch 570
  cudaseal policy kyverno --key cosign.pub --image 'registry.example/org/*' --action Audit --name try-signing`,
  flags: {
    key: { type: "string" },
    "certificate-identity": { type: "string" },
    "certificate-identity-regexp": { type: "string" },
    "certificate-oidc-issuer": { type: "string" },
    "certificate-oidc-issuer-regexp": { type: "string" },
    image: { type: "string", multiple: true },
    attestation: { type: "string", multiple: true },
    "require-gpu-smoke": { type: "boolean" },
    "driver-branch": { type: "string", multiple: true },
    bundle: { type: "boolean" },
    "rekor-url": { type: "string" },
    "trust-root-ref": { type: "string" },
    action: { type: "string" },
    name: { type: "string" },
    timeout: { type: "string" },
    "pull-secret": { type: "string", multiple: true },
    output: { type: "string", short: "o" },
  },
  async run(positionals, flags, out) {
    const [kind, ...extra] = positionals;
    if (kind === undefined || !KINDS.includes(kind) || extra.length) {
      throw new CudasealError(
        "USAGE",
        kind === undefined || KINDS.includes(kind)
          ? "name one kind of policy"
          : `unknown policy kind ${JSON.stringify(kind)}`,
        { hint: `cudaseal policy ${KINDS.join("|")} --key cosign.pub --image 'registry.example/org/*'` },
      );
    }
    const images = listFlag(flags, "image");
    if (images === undefined) {
      throw new CudasealError("USAGE", "--image is required", { hint: "--image 'registry.example/org/*'" });
    }
    const policy = await writePolicy(kind, images, flags);
    for (const note of policy.notes) out.note(`note: ${note}`);
    if (readsTagsOnly(kind, flags)) out.warn(TAGS_ONLY_WARNING);
    const output = stringFlag(flags, "output");
    if (output !== undefined) {
      await writeOutputFile(output, policy.text);
      if (!out.json) out.note(`wrote ${output}`);
    }
    if (out.json)
      out.jsonData({ kind, document: policy.document, notes: policy.notes, output: output ?? null });
    else if (output === undefined) out.data(policy.text);
    return 0;
  },
};

// `cudaseal sign` and `attest` write Sigstore bundles unless told otherwise,
// and these two policies, key-based, find only cosign's tags: said at once,
// a user does not learn it from a cluster refusing every pod.
const TAGS_ONLY_WARNING =
  "this policy reads cosign's .sig/.att tags, and cudaseal signs and attests as Sigstore bundles by default: " +
  "sign and attest with --new-bundle-format=false for it, or write a policy that reads bundles " +
  "(kyverno --bundle, kyverno-ivp)";

/** A key-based policy of a kind that reads only cosign's `.sig`/`.att` tags. */
export function readsTagsOnly(kind: string, flags: FlagValues): boolean {
  if (flags.key === undefined) return false;
  return kind === "policy-controller" || (kind === "kyverno" && flags.bundle !== true);
}

/** The policy of `kind` from the flags; only the flags that kind reads are allowed. */
async function writePolicy(kind: string, images: string[], flags: FlagValues): Promise<KyvernoPolicy> {
  const only = (flag: string, kinds: string[]) => {
    if (flags[flag] !== undefined && !kinds.includes(kind)) {
      throw new CudasealError("USAGE", `--${flag} is not for ${kind} policies`, {
        hint: `it applies to ${kinds.join(", ")}`,
      });
    }
  };
  only("bundle", ["kyverno"]);
  only("rekor-url", ["kyverno", "kyverno-ivp"]);
  only("timeout", ["kyverno", "kyverno-ivp"]);
  only("trust-root-ref", ["policy-controller"]);
  const keyFile = stringFlag(flags, "key");
  const identity: KeylessIdentity = {
    subject: stringFlag(flags, "certificate-identity"),
    subjectRegExp: stringFlag(flags, "certificate-identity-regexp"),
    issuer: stringFlag(flags, "certificate-oidc-issuer"),
    issuerRegExp: stringFlag(flags, "certificate-oidc-issuer-regexp"),
  };
  const timeout = stringFlag(flags, "timeout");
  const name = stringFlag(flags, "name");
  const action = stringFlag(flags, "action");
  const rekorUrl = stringFlag(flags, "rekor-url");
  const input = {
    images,
    identity,
    ...(keyFile === undefined ? {} : { publicKey: await readPolicyPublicKey(keyFile) }),
    attestations: listFlag(flags, "attestation") ?? [],
    gpuSmoke: flags["require-gpu-smoke"] === true,
    driverBranches: listFlag(flags, "driver-branch") ?? [],
    pullSecrets: listFlag(flags, "pull-secret") ?? [],
    ...(name === undefined ? {} : { name }),
    ...(action === undefined ? {} : { action }),
    ...(timeout === undefined ? {} : { timeoutSeconds: Number(timeout) }),
    ...(rekorUrl === undefined ? {} : { rekorUrl }),
  };
  if (kind === "kyverno") return kyvernoPolicy({ ...input, bundle: flags.bundle === true });
  if (kind === "kyverno-ivp") return imageValidatingPolicy(input);
  const trustRootRef = stringFlag(flags, "trust-root-ref");
  return clusterImagePolicy({ ...input, ...(trustRootRef === undefined ? {} : { trustRootRef }) });
}
