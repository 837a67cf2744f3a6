// Every subcommand, in the order --help lists them. A command's module is
// loaded only when it runs: importing all of them costs more start-up time
// than most commands take to do their work.

import type { Command } from "../command.ts";

/** What --help lists, and how to load the command itself. */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

export const commands: readonly CommandEntry[] = [
  {
    name: "attest",
    summary:
      "Attach a signed in-toto attestation (SBOM, SLSA provenance, GPU smoke test) to an image, as cosign does",
    load: async () => (await import("./attest.ts")).attestCommand,
  },
  {
    name: "audit",
    summary: "Audit an image: CIS Docker Benchmark, NIST SP 800-190, and secrets in its layers",
    load: async () => (await import("./audit.ts")).auditCommand,
  },
  {
    name: "build",
    summary: "Build a minimal, hardened, reproducible image from a spec or preset",
    load: async () => (await import("./build.ts")).buildCommand,
  },
  {
    name: "catalog",
    summary: "Plan a catalog of images as a DAG of build units, run it here, or hand it to an engine",
    load: async () => (await import("./catalog.ts")).catalogCommand,
  },
  {
    name: "compare",
    summary: "Put two images side by side: sizes, packages, attack surface, CVEs, CUDA libraries",
    load: async () => (await import("./compare.ts")).compareCommand,
  },
  {
    name: "copy",
    summary: "Copy an image between registries, OCI layouts and archives",
    load: async () => (await import("./copy.ts")).copyCommand,
  },
  {
    name: "deploy",
    summary: "Write a hardened Kubernetes manifest, Compose file or docker run line for an image",
    load: async () => (await import("./deploy.ts")).deployCommand,
  },
  {
    name: "doctor",
    summary: "Check this host (driver, devices, NVIDIA Container Toolkit, limits) and what an image needs",
    load: async () => (await import("./doctor.ts")).doctorCommand,
  },
  {
    name: "generate-key-pair",
    summary: "Make a signing key pair (cosign.key, cosign.pub) that cosign also reads",
    load: async () => (await import("./generate-key-pair.ts")).generateKeyPairCommand,
  },
  {
    name: "lint",
    summary: "Check Dockerfiles for security and hygiene problems (root user, secrets, unpinned bases…)",
    load: async () => (await import("./lint.ts")).lintCommand,
  },
  {
    name: "outdated",
    summary: "List the updates a lock or image could take, the CVEs each fixes, and write the updated lock",
    load: async () => (await import("./outdated.ts")).outdatedCommand,
  },
  {
    name: "policy",
    summary: "Write an admission policy (Kyverno, Sigstore policy-controller) that admits only signed images",
    load: async () => (await import("./policy.ts")).policyCommand,
  },
  {
    name: "presets",
    summary: "List the built-in image specs",
    load: async () => (await import("./presets.ts")).presetsCommand,
  },
  {
    name: "pull",
    summary: "Pull a registry image into an OCI layout directory",
    load: async () => (await import("./pull.ts")).pullCommand,
  },
  {
    name: "push",
    summary: "Push an image (oci:, oci-archive:, docker-archive:) to a registry",
    load: async () => (await import("./push.ts")).pushCommand,
  },
  {
    name: "lock",
    summary: "Write the lock of a spec or preset (exact packages and SHA256s) for reproducible builds",
    load: async () => (await import("./resolve.ts")).lockCommand,
  },
  {
    name: "report",
    summary: "Write a self-contained HTML report of an image (or two side by side), or its Markdown summary",
    load: async () => (await import("./report.ts")).reportCommand,
  },
  {
    name: "rescan",
    summary:
      "Rescan many images (a list, a repository's tags, a catalog) from their SBOMs, KEV and EPSS first",
    load: async () => (await import("./rescan.ts")).rescanCommand,
  },
  {
    name: "resolve",
    summary: "Resolve packages against the verified Debian archive and print the lock",
    load: async () => (await import("./resolve.ts")).resolveCommand,
  },
  {
    name: "run",
    summary: "Run an image's command in a read-only container, with --gpus, and no daemon",
    load: async () => (await import("./run.ts")).runCommand,
  },
  {
    name: "sbom",
    summary: "Print the SBOM (SPDX 2.3 or CycloneDX 1.6) of an image, or of a lock",
    load: async () => (await import("./sbom.ts")).sbomCommand,
  },
  {
    name: "scan",
    summary: "List the known vulnerabilities of an image's Debian packages",
    load: async () => (await import("./scan.ts")).scanCommand,
  },
  {
    name: "sign",
    summary: "Sign an image as cosign 3 does (a Sigstore bundle referrer), with a key or keylessly",
    load: async () => (await import("./sign.ts")).signCommand,
  },
  {
    name: "sign-blob",
    summary: "Sign a file into a Sigstore bundle, with a key or keylessly (as cosign sign-blob --bundle)",
    load: async () => (await import("./sign-blob.ts")).signBlobCommand,
  },
  {
    name: "verify",
    summary: "Verify an image's signatures (Sigstore bundles, cosign's tags) by a key or a keyless identity",
    load: async () => (await import("./verify.ts")).verifyCommand,
  },
  {
    name: "verify-attestation",
    summary: "Verify an image's in-toto attestations by a key or a keyless identity",
    load: async () => (await import("./verify-attestation.ts")).verifyAttestationCommand,
  },
  {
    name: "verify-blob",
    summary: "Verify a file against its Sigstore bundle, with a key or keylessly (as cosign verify-blob)",
    load: async () => (await import("./verify-blob.ts")).verifyBlobCommand,
  },
];
