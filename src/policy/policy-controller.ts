// The Sigstore policy-controller's ClusterImagePolicy
// (policy.sigstore.dev/v1beta1, policy-controller 0.10 or later). One
// authority pins the signer:
//
// - a public key: signatures in cosign's tag layout (`.sig`, `.att`), as
//   `cudaseal sign --key` writes them; with no `ctlog` the controller skips
//   the transparency log, which cudaseal never uploads to. The controller
//   reads Sigstore bundles only for keyless authorities (its
//   `signatureFormat: bundle` refuses a key).
// - a keyless identity: `signatureFormat: bundle`, so Sigstore bundles are
//   read from OCI 1.1 referrers (cosign 3's layout), checked against the
//   trusted root the controller gets from Sigstore's TUF repository, or a
//   TrustRoot resource named with trustRootRef.
//
// Required attestations are Rego policies over the in-toto statement
// (requirements.ts says why Rego). Image patterns are written as the
// controller's globs: `*` stops at `/` there, so each `*` of a cudaseal
// pattern becomes `**`, which, like Kyverno's `*`, matches anything.

import { CudasealError } from "../errors.ts";
import { type KyvernoPolicy, kyvernoYaml, who } from "./kyverno.ts";
import { type CommonPolicyInput, commonPolicyOptions, usage } from "./policy-options.ts";
import { attestationRequirements, type RequirementsInput, regoStatement } from "./requirements.ts";
import { type PolicyTrust, type PolicyTrustInput, policyTrust } from "./trust.ts";

export interface ClusterImagePolicyInput extends CommonPolicyInput, PolicyTrustInput, RequirementsInput {
  /** Keyless: a TrustRoot resource (private Sigstore, or an offline copy of the public trusted root). */
  trustRootRef?: string;
}

type Obj = Record<string, unknown>;

/** The controller's glob alphabet (pkg/apis/glob: validGlob). */
const GLOB = /^[a-zA-Z0-9\-_:/*.@]+$/;

/** The ClusterImagePolicy for `input`: pure, no I/O. */
export function clusterImagePolicy(input: ClusterImagePolicyInput): KyvernoPolicy {
  const trust = policyTrust(input);
  const { images, name, action, pullSecrets } = commonPolicyOptions(input);
  const requirements = attestationRequirements(input);
  if (input.timeoutSeconds !== undefined) {
    throw usage(
      "--timeout is Kyverno's",
      "the policy-controller's webhook timeout is set when it is installed",
    );
  }
  if (input.trustRootRef !== undefined && trust.kind === "key") {
    throw usage("--trust-root-ref is for keyless policies", "a key-based policy trusts the key alone");
  }
  if (input.trustRootRef !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(input.trustRootRef)) {
    throw usage(`${JSON.stringify(input.trustRootRef)} is not a TrustRoot name`);
  }
  const globs = images.map(controllerGlob);

  const authority: Obj = { name: ATTESTOR_NAME, ...signer(trust, input.trustRootRef) };
  // One source at most: the controller reads pull credentials from it.
  if (pullSecrets.length) {
    authority.source = [{ signaturePullSecrets: pullSecrets.map((secret) => ({ name: secret })) }];
  }
  if (requirements.length) {
    authority.attestations = requirements.map((r) => ({
      name: r.name,
      predicateType: r.predicateType,
      policy: { type: "rego", data: regoStatement(r) },
    }));
  }
  const document: Obj = {
    apiVersion: "policy.sigstore.dev/v1beta1",
    kind: "ClusterImagePolicy",
    metadata: {
      name,
      labels: { "app.kubernetes.io/managed-by": "cudaseal" },
      annotations: {
        "cudaseal.dev/description": `Images matching ${images.join(", ")} must be signed by ${trust.kind === "key" ? "the pinned key" : who(trust)}${requirements.length ? ` and carry signed ${requirements.map((r) => r.name).join(", ")} attestations` : ""}.`,
      },
    },
    spec: {
      // warn admits the pod and reports, as Kyverno's Audit does.
      mode: action === "Enforce" ? "enforce" : "warn",
      images: globs.map((glob) => ({ glob })),
      authorities: [authority],
    },
  };
  return { document, text: kyvernoYaml(document), notes: globNotes(images) };
}

const ATTESTOR_NAME = "cudaseal";

function signer(trust: PolicyTrust, trustRootRef: string | undefined): Obj {
  if (trust.kind === "key") return { key: { data: trust.publicKey } };
  const { kind: _kind, ...identity } = trust;
  const keyless: Obj = { identities: [identity] };
  if (trustRootRef !== undefined) keyless.trustRootRef = trustRootRef;
  return { keyless, signatureFormat: "bundle" };
}

/** A cudaseal pattern as the controller's glob: `*` → `**` (any characters, `/` included). */
function controllerGlob(pattern: string): string {
  if (pattern.includes("?")) {
    throw usage(
      `'${pattern}': the policy-controller's globs have no '?'`,
      "write the pattern with '*' instead",
    );
  }
  const glob = pattern.replace(/\*+/g, "**");
  if (!GLOB.test(glob)) {
    throw new CudasealError("USAGE", `'${pattern}' has characters the policy-controller's globs refuse`, {
      hint: "letters, digits, '-', '_', ':', '/', '.', '@' and '*'",
    });
  }
  return glob;
}

// The controller matches the glob against the full reference: a Docker Hub
// image is named with its registry's full host name, and a reference without
// a tag has `:latest`.
function globNotes(images: readonly string[]): string[] {
  const notes: string[] = [];
  for (const image of images) {
    const first = image.split("/")[0];
    if (!image.includes("/") || !(/[.:]/.test(first) || first === "localhost")) {
      notes.push(
        `'${image}' names no registry host; the policy-controller matches full references (Docker Hub's images under its full host name)`,
      );
    }
    if (!image.includes("*") && !/[:@]/.test(image.slice(image.lastIndexOf("/") + 1))) {
      notes.push(
        `'${image}' has no wildcard and no tag: it matches only ':latest' (did you mean '${image}*'?)`,
      );
    }
  }
  return notes;
}
