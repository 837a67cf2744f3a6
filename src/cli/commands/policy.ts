// `cudaseal policy kyverno --key cosign.pub --image PATTERN`: an admission
// policy that lets a cluster run only images signed with that key.

import { CudasealError } from "../../errors.ts";
import { ATTESTATION_KINDS, DEFAULT_POLICY_NAME, kyvernoPolicyFromKeyFile } from "../../policy/index.ts";
import { writeFileAtomic } from "../../util/atomic-file.ts";
import { type Command, listFlag, stringFlag } from "../command.ts";

const KINDS = ["kyverno"];

export const policyCommand: Command = {
  name: "policy",
  help: `Usage: cudaseal policy kyverno --key cosign.pub --image PATTERN [--image PATTERN…] [options]

Writes a Kyverno ClusterPolicy (kyverno.io/v1, Kyverno 1.13 or later) with
a verifyImages rule: a pod whose image matches a pattern is admitted only
when the image has a cosign signature by the public key in --key (as
'cudaseal sign' or 'cosign sign --key' make), and with --attestation, a
signed attestation of that type by the same key ('cudaseal attest'). Tags
are replaced by the verified digest (Enforce only), so what runs is what
was checked. The key is written into the policy, and the policy is set for
a cluster with no route to Sigstore's public services: no Rekor
transparency log lookup, no certificate timestamp check; the key is the
only trust root. Apply it with 'kubectl apply -f'. See docs/admission.md.

Patterns are Kyverno image references with '*' and '?' as wildcards,
matched against each image's full reference, tag or digest included:
'registry.example/org/*' covers every repository, tag and digest under
registry.example/org. Images named without a registry host are matched
with Docker Hub's host in front, so a pattern must name its registry host:
'org/app*' matches nothing.

Options:
  --key FILE              the public key, cosign.pub (PEM, ECDSA P-256) (required)
  --image PATTERN         image reference pattern to verify, repeatable (required)
  --attestation TYPE      also require a signed attestation, repeatable: ${Object.keys(ATTESTATION_KINDS).join(", ")}
  --action ACTION         Enforce (refuse unverified pods; default) or Audit (admit, report)
  --name NAME             the policy's metadata.name (default: ${DEFAULT_POLICY_NAME})
  --timeout SECONDS       the admission webhook's timeout, 1 to 30 (default: 30)
  --pull-secret NAME      Secret in Kyverno's namespace with pull credentials, repeatable
  --output FILE           write the YAML to FILE instead of stdout

Attestation types and what the policy checks in them:
  cyclonedx        https://cyclonedx.org/bom, bomFormat is CycloneDX
  spdx             https://spdx.dev/Document, an SPDX JSON document (attest with --type spdxjson)
  slsaprovenance   https://slsa.dev/provenance/v0.2, names a builder
  slsaprovenance1  https://slsa.dev/provenance/v1, built by cudaseal

Examples:
  cudaseal policy kyverno --key cosign.pub --image 'registry.example/org/*' > verify-images.yaml
  kubectl apply -f verify-images.yaml
  cudaseal policy kyverno --key cosign.pub --image 'registry.example/org/cuda-*' \\
    --attestation cyclonedx --attestation slsaprovenance1 --output verify-images.yaml
  cudaseal policy kyverno --key cosign.pub --image 'registry.example/org/*' --action Audit --name try-signing`,
  flags: {
    key: { type: "string" },
    image: { type: "string", multiple: true },
    attestation: { type: "string", multiple: true },
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
    const keyFile = stringFlag(flags, "key");
    if (keyFile === undefined) {
      throw new CudasealError("USAGE", "--key is required", {
        hint: "--key cosign.pub, the public half of your signing key",
      });
    }
    const images = listFlag(flags, "image");
    if (images === undefined) {
      throw new CudasealError("USAGE", "--image is required", { hint: "--image 'registry.example/org/*'" });
    }
    const timeout = stringFlag(flags, "timeout");
    const name = stringFlag(flags, "name");
    const action = stringFlag(flags, "action");
    const policy = await kyvernoPolicyFromKeyFile({
      keyFile,
      images,
      attestations: listFlag(flags, "attestation") ?? [],
      pullSecrets: listFlag(flags, "pull-secret") ?? [],
      ...(name === undefined ? {} : { name }),
      ...(action === undefined ? {} : { action }),
      ...(timeout === undefined ? {} : { timeoutSeconds: Number(timeout) }),
    });
    for (const note of policy.notes) out.note(`note: ${note}`);
    const output = stringFlag(flags, "output");
    if (output !== undefined) {
      try {
        await writeFileAtomic(output, policy.text);
      } catch (err) {
        throw new CudasealError("OUTPUT_FAILED", `cannot write ${output}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      if (!out.json) out.note(`wrote ${output}`);
    }
    if (out.json)
      out.jsonData({ kind, document: policy.document, notes: policy.notes, output: output ?? null });
    else if (output === undefined) out.data(policy.text);
    return 0;
  },
};
