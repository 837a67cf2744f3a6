// A Kyverno ClusterPolicy (kyverno.io/v1, Kyverno 1.13 or later) that
// admits a pod only when every image matching the given patterns carries a
// cosign signature by one public key, and, when asked, signed attestations
// (SBOM, provenance) by the same key. It is set for a cluster that cannot
// reach Sigstore's public services: cudaseal signs with a key and uploads
// nothing to Rekor, so the transparency log and certificate timestamp checks
// are turned off (`rekor.ignoreTlog`, `ctlog.ignoreSCT`) and the key is the
// only trust root. Fields follow the v1 schema of Kyverno 1.19's CRD, using
// the current names, not the deprecated ones (`failureAction` on the rule
// rather than `spec.validationFailureAction`, `webhookConfiguration`
// rather than `spec.webhookTimeoutSeconds`). See docs/admission.md.

import { stringify } from "yaml";
import { CudasealError } from "../errors.ts";
import { ATTESTATION_KINDS, type AttestationName, isAttestationName } from "./kyverno-attestations.ts";
import { policyPublicKey, readPolicyPublicKey } from "./public-key.ts";

/** Enforce refuses an unverified pod; Audit admits it and reports it. */
export type FailureAction = "Enforce" | "Audit";

export interface KyvernoPolicyInput {
  /** The PEM public key (cosign.pub's text); checked again here. */
  publicKey: string;
  /** Image reference patterns (`registry.example/org/*`); `*` and `?` are wildcards. */
  images: readonly string[];
  /** Attestations to require, by cosign's `--type` name. */
  attestations?: readonly string[];
  /** metadata.name (default: cudaseal-verify-images). */
  name?: string;
  /** default: Enforce. */
  action?: string;
  /** The admission webhook's timeout, 1 to 30 seconds (default: 30). */
  timeoutSeconds?: number;
  /** Secrets (in Kyverno's namespace) holding pull credentials for the registry. */
  pullSecrets?: readonly string[];
}

export interface KyvernoPolicyOptions extends Omit<KyvernoPolicyInput, "publicKey"> {
  /** The public key file, cosign.pub. */
  keyFile: string;
}

export interface KyvernoPolicy {
  /** The ClusterPolicy as data, for --json and tests. */
  document: Record<string, unknown>;
  /** The same as YAML; the same input gives the same bytes. */
  text: string;
  /** Things worth knowing about the patterns given; never failures. */
  notes: string[];
}

export const DEFAULT_POLICY_NAME = "cudaseal-verify-images";
/** The longest a Kubernetes admission webhook may wait; verification fetches from the registry. */
export const MAX_TIMEOUT_SECONDS = 30;

type Obj = Record<string, unknown>;

/** Read the key file and write the policy. */
export async function kyvernoPolicyFromKeyFile(options: KyvernoPolicyOptions): Promise<KyvernoPolicy> {
  const { keyFile, ...rest } = options;
  return kyvernoPolicy({ ...rest, publicKey: await readPolicyPublicKey(keyFile) });
}

/** The ClusterPolicy for `input`: pure, no I/O. */
export function kyvernoPolicy(input: KyvernoPolicyInput): KyvernoPolicy {
  const publicKey = policyPublicKey(input.publicKey);
  const images = checkImages(input.images);
  const attestations = checkAttestations(input.attestations ?? []);
  const name = checkName(input.name ?? DEFAULT_POLICY_NAME);
  const action = checkAction(input.action ?? "Enforce");
  const timeoutSeconds = checkTimeout(input.timeoutSeconds ?? MAX_TIMEOUT_SECONDS);
  const pullSecrets = [...new Set(input.pullSecrets ?? [])];
  for (const s of pullSecrets) {
    // A Secret's name is a DNS subdomain: labels joined by dots, 253 characters at most.
    if (s.length > 253 || !s.split(".").every((label) => /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(label))) {
      throw usage(`${JSON.stringify(s)} is not a Secret name`, "lowercase letters, digits, '-' and '.'");
    }
  }

  // A fresh object at each use: a shared one would come out as a YAML anchor and alias.
  const attestors = (): Obj[] => [
    {
      count: 1,
      entries: [
        {
          keys: {
            publicKeys: publicKey,
            rekor: { ignoreTlog: true },
            ctlog: { ignoreSCT: true },
          },
        },
      ],
    },
  ];

  const verify: Obj = {
    type: "Cosign",
    imageReferences: images,
    failureAction: action,
    // Kyverno refuses mutateDigest with Audit: an audited pod must be admitted as written.
    mutateDigest: action === "Enforce",
    verifyDigest: true,
    required: true,
    useCache: true,
    attestors: attestors(),
  };
  if (attestations.length) {
    verify.attestations = attestations.map((a) => {
      const kind = ATTESTATION_KINDS[a];
      return {
        type: kind.predicateType,
        attestors: attestors(),
        conditions: [{ all: [{ ...kind.condition }] }],
      };
    });
  }
  if (pullSecrets.length) verify.imageRegistryCredentials = { secrets: pullSecrets };

  const checks = ["a cosign signature by the pinned key"];
  for (const a of attestations) checks.push(`a signed ${a} attestation`);
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
        "policies.kyverno.io/description": `Images matching ${images.join(", ")} must carry ${checks.join(" and ")}, checked offline against the key alone (no Rekor, no CT log).${action === "Enforce" ? " Tags are replaced by the verified digests." : ""}`,
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

/** A policy document as YAML, the same bytes for the same document. */
export function kyvernoYaml(document: Obj): string {
  return stringify(document, { lineWidth: 0, aliasDuplicateObjects: false });
}

function usage(message: string, hint?: string, details?: Record<string, unknown>): CudasealError {
  return new CudasealError("USAGE", message, { hint, details });
}

function checkImages(images: readonly string[]): string[] {
  const out = [...new Set(images)];
  if (out.length === 0) {
    throw usage("name at least one image pattern", "--image 'registry.example/org/*'");
  }
  for (const image of out) {
    // Kyverno would read a pattern with spaces or a {{variable}} as something other than a reference.
    if (image === "" || /[\s{}"']/.test(image) || image.length > 512) {
      throw usage(
        `${JSON.stringify(image)} is not an image reference pattern`,
        "e.g. 'registry.example/org/*'",
        {
          image,
        },
      );
    }
  }
  return out;
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

function checkAttestations(names: readonly string[]): AttestationName[] {
  const out: AttestationName[] = [];
  for (const name of names) {
    if (!isAttestationName(name)) {
      throw usage(
        `unknown attestation ${JSON.stringify(name)}`,
        `use ${Object.keys(ATTESTATION_KINDS).join(", ")}`,
        {
          attestation: name,
        },
      );
    }
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

function checkName(name: string): string {
  // A DNS label, stricter than a ClusterPolicy name must be: Kyverno copies policy names into label values.
  if (name.length > 63 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
    throw usage(
      `${JSON.stringify(name)} is not a valid policy name`,
      "use up to 63 lowercase letters, digits and '-', starting and ending with a letter or digit",
    );
  }
  return name;
}

function checkAction(action: string): FailureAction {
  const lower = action.toLowerCase();
  if (lower === "enforce") return "Enforce";
  if (lower === "audit") return "Audit";
  throw usage(
    `unknown action ${JSON.stringify(action)}`,
    "use Enforce (refuse unverified pods) or Audit (report them)",
  );
}

function checkTimeout(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_TIMEOUT_SECONDS) {
    throw usage(
      `webhook timeout ${seconds} is not a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}`,
    );
  }
  return seconds;
}
