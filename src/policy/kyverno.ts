// A Kyverno ClusterPolicy (kyverno.io/v1, Kyverno 1.13 or later) that
// admits a pod only when every image matching the given patterns is signed,
// and, when asked, carries signed attestations (SBOM, provenance, the GPU
// smoke test). The signer is pinned either way a policy can pin it:
//
// - a public key (`cudaseal sign --key`): the policy is set for a cluster
//   that cannot reach Sigstore's public services, since cudaseal signs with
//   a key and uploads nothing to Rekor, so the transparency log and
//   certificate timestamp checks are turned off (`rekor.ignoreTlog`,
//   `ctlog.ignoreSCT`) and the key is the only trust root;
// - a keyless identity (the Fulcio certificate's subject and OIDC issuer),
//   checked against a Rekor log (the public one unless another is named).
//
// `type: Cosign` reads cosign's `.sig`/`.att` tags; `type: SigstoreBundle`
// (bundle: true) reads Sigstore bundles stored as OCI 1.1 referrers, as
// cosign 3 and `cudaseal sign --bundle` write them. Fields follow the v1
// schema of Kyverno 1.19's CRD, using the current names, not the deprecated
// ones (`failureAction` on the rule rather than
// `spec.validationFailureAction`, `webhookConfiguration` rather than
// `spec.webhookTimeoutSeconds`). See docs/admission.md.

import { stringify } from "yaml";
import {
  type CommonPolicyInput,
  commonPolicyOptions,
  DEFAULT_POLICY_NAME,
  MAX_TIMEOUT_SECONDS,
  usage,
} from "./policy-options.ts";
import { attestationRequirements, kyvernoCondition, type RequirementsInput } from "./requirements.ts";
import { type PolicyTrust, type PolicyTrustInput, policyTrust } from "./trust.ts";

export type { FailureAction } from "./policy-options.ts";
export { DEFAULT_POLICY_NAME, MAX_TIMEOUT_SECONDS };

/** The public Rekor log, which keyless signatures are recorded in unless a private one is named. */
export const PUBLIC_REKOR_URL = "https://rekor.sigstore.dev";

export interface KyvernoPolicyInput extends CommonPolicyInput, PolicyTrustInput, RequirementsInput {
  /** Verify Sigstore bundles stored as OCI 1.1 referrers (`type: SigstoreBundle`) instead of cosign's tags. */
  bundle?: boolean;
  /** Keyless: the Rekor log the signatures are in (default: the public one). */
  rekorUrl?: string;
}

/** A policy document, as data and as YAML. */
export interface KyvernoPolicy {
  /** The policy as data, for --json and tests. */
  document: Record<string, unknown>;
  /** The same as YAML; the same input gives the same bytes. */
  text: string;
  /** Things worth knowing about the patterns given; never failures. */
  notes: string[];
}

type Obj = Record<string, unknown>;

/** The ClusterPolicy for `input`: pure, no I/O. */
export function kyvernoPolicy(input: KyvernoPolicyInput): KyvernoPolicy {
  const trust = policyTrust(input);
  const { images, name, action, timeoutSeconds, pullSecrets } = commonPolicyOptions(input);
  const requirements = attestationRequirements(input);
  const rekorUrl = checkRekorUrl(input.rekorUrl, trust);

  // A fresh object at each use: a shared one would come out as a YAML anchor and alias.
  const attestors = (): Obj[] => [{ count: 1, entries: [attestorEntry(trust, rekorUrl)] }];

  const verify: Obj = {
    type: input.bundle ? "SigstoreBundle" : "Cosign",
    imageReferences: images,
    failureAction: action,
    // Kyverno refuses mutateDigest with Audit: an audited pod must be admitted as written.
    mutateDigest: action === "Enforce",
    verifyDigest: true,
    required: true,
    useCache: true,
    attestors: attestors(),
  };
  if (requirements.length) {
    verify.attestations = requirements.map((r) => ({
      type: r.predicateType,
      attestors: attestors(),
      conditions: [{ all: r.checks.map(kyvernoCondition) }],
    }));
  }
  if (pullSecrets.length) verify.imageRegistryCredentials = { secrets: pullSecrets };

  const format = input.bundle ? "Sigstore bundle" : "cosign signature";
  const checks = [
    trust.kind === "key" ? `a ${format} by the pinned key` : `a keyless ${format} by ${who(trust)}`,
  ];
  for (const r of requirements) checks.push(`a signed ${r.name} attestation`);
  const how =
    trust.kind === "key"
      ? "checked offline against the key alone (no Rekor, no CT log)"
      : `checked against Fulcio's roots and the Rekor log at ${rekorUrl}`;
  const document: Obj = {
    apiVersion: "kyverno.io/v1",
    kind: "ClusterPolicy",
    metadata: {
      name,
      labels: { "app.kubernetes.io/managed-by": "cudaseal" },
      annotations: {
        "policies.kyverno.io/title": "Verify cudaseal image signatures",
        "policies.kyverno.io/category": "Software Supply Chain Security",
        "policies.kyverno.io/severity": "high",
        "policies.kyverno.io/subject": "Pod",
        "policies.kyverno.io/description": `Images matching ${images.join(", ")} must carry ${checks.join(" and ")}, ${how}.${action === "Enforce" ? " Tags are replaced by the verified digests." : ""}`,
      },
    },
    spec: {
      admission: true,
      // Verification needs the admission request and the registry; background scans would only repeat it.
      background: false,
      webhookConfiguration: {
        // Fail closed when enforcing: an unreachable Kyverno must not mean unverified pods run.
        failurePolicy: action === "Enforce" ? "Fail" : "Ignore",
        timeoutSeconds,
      },
      rules: [
        {
          name: "verify-signature",
          match: { any: [{ resources: { kinds: ["Pod"] } }] },
          verifyImages: [verify],
        },
      ],
    },
  };
  return { document, text: kyvernoYaml(document), notes: imageNotes(images) };
}

function attestorEntry(trust: PolicyTrust, rekorUrl: string): Obj {
  if (trust.kind === "key") {
    return { keys: { publicKeys: trust.publicKey, rekor: { ignoreTlog: true }, ctlog: { ignoreSCT: true } } };
  }
  const { kind: _kind, ...identity } = trust;
  return { keyless: { ...identity, rekor: { url: rekorUrl } } };
}

/** The signer a keyless policy names, for the description. */
export function who(identity: {
  subject?: string;
  subjectRegExp?: string;
  issuer?: string;
  issuerRegExp?: string;
}): string {
  const subject = identity.subject ?? `an identity matching ${identity.subjectRegExp}`;
  const issuer = identity.issuer ?? `an issuer matching ${identity.issuerRegExp}`;
  return `${subject} (issued by ${issuer})`;
}

/** The Rekor URL of a keyless policy: https, or http only to a loopback test log. */
export function checkRekorUrl(url: string | undefined, trust: PolicyTrust): string {
  if (url === undefined) return PUBLIC_REKOR_URL;
  if (trust.kind === "key") {
    throw usage("--rekor-url is for keyless policies", "a key-based policy checks no transparency log");
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw usage(`--rekor-url ${JSON.stringify(url)} is not a URL`);
  }
  if (parsed.protocol !== "https:" || parsed.username || parsed.password || /\s/.test(url)) {
    throw usage(`--rekor-url ${JSON.stringify(url)} is not an https URL without credentials`);
  }
  return url.replace(/\/+$/, "");
}

/** A policy document as YAML, the same bytes for the same document. */
export function kyvernoYaml(document: Obj): string {
  return stringify(document, { lineWidth: 0, aliasDuplicateObjects: false });
}

// Kyverno matches a pattern, as written, against the image's full reference:
// registry host (Docker Hub's when the pod names none), path, and `:tag` or
// `@digest` (src: pkg/engine/utils/image.go, pkg/utils/image/infos.go).
function imageNotes(images: readonly string[]): string[] {
  const notes: string[] = [];
  for (const image of images) {
    const first = image.split("/")[0];
    const last = image.slice(image.lastIndexOf("/") + 1);
    if (image.startsWith("*")) {
      notes.push(`'${image}' matches images from any registry: every one of them must be signed by this key`);
    } else if (!image.includes("/") || !(/[.:]/.test(first) || first === "localhost")) {
      notes.push(
        `'${image}' names no registry host, but Kyverno matches against full references (Docker Hub's host for images named without one): write the pattern with its registry host in front`,
      );
    }
    if (/[*?]/.test(image)) continue;
    if (last.includes(":") || image.includes("@")) {
      notes.push(`'${image}' has no wildcard: it matches only that exact tag or digest`);
    } else {
      notes.push(
        `'${image}' matches no image: Kyverno compares patterns with the reference and its tag or digest (did you mean '${image}*'?)`,
      );
    }
  }
  return notes;
}
