// Every rule `cudaseal audit` checks: its id, default severity, title, the
// guidance it comes from, and the fix. docs/audit.md lists the same table;
// findings are made only through `finding()`, so no rule goes undocumented.

import type { Evidence, Finding, Severity } from "../findings/index.ts";

export interface AuditRule {
  severity: Severity;
  title: string;
  refs: string[];
  fix: string;
}

const CIS = (s: string) => `CIS Docker Benchmark ${s}`;
const NIST = (s: string) => `NIST SP 800-190 ${s}`;

export const AUDIT_RULES = {
  // The image config.
  "CS-USER-MISSING": {
    severity: "high",
    title: "The image sets no user, so it runs as root",
    refs: [CIS("4.1"), NIST("4.1.2")],
    fix: "set the config's User to a numeric non-root uid:gid, e.g. 65532:65532",
  },
  "CS-USER-ROOT": {
    severity: "high",
    title: "The image runs as root",
    refs: [CIS("4.1"), NIST("4.1.2")],
    fix: "set the config's User to a numeric non-root uid:gid, e.g. 65532:65532",
  },
  "CS-USER-NON-NUMERIC": {
    severity: "medium",
    title: "The image's user is a name, which Kubernetes runAsNonRoot cannot check",
    refs: [CIS("4.1"), NIST("4.1.2")],
    fix: "give the user as numbers (uid:gid) so the kubelet can verify it is not root",
  },
  "CS-SECRET-ENV": {
    severity: "critical",
    title: "A secret is set in the image's environment",
    refs: [CIS("4.10"), NIST("4.1.4")],
    fix: "rotate the secret; pass it at run time (a mounted secret), never in ENV",
  },
  "CS-SECRET-LABEL": {
    severity: "critical",
    title: "A secret is in an image label",
    refs: [CIS("4.10"), NIST("4.1.4")],
    fix: "rotate the secret and remove the label",
  },
  "CS-SECRET-HISTORY": {
    severity: "critical",
    title: "A secret is in the image history (a build argument or command line)",
    refs: [CIS("4.10"), NIST("4.1.4")],
    fix: "rotate the secret; use BuildKit secret mounts (RUN --mount=type=secret) instead of --build-arg",
  },
  "CS-LABEL-MISSING": {
    severity: "low",
    title: "An org.opencontainers.image label is missing",
    refs: [NIST("4.1.5"), CIS("4.2")],
    fix: "label the image with org.opencontainers.image.created, source, revision and version",
  },
  "CS-HEALTHCHECK-MISSING": {
    severity: "info",
    title: "A service image has no HEALTHCHECK",
    refs: [CIS("4.6")],
    fix: "add a HEALTHCHECK, or let the orchestrator probe the service (Kubernetes liveness/readiness probes)",
  },
  "CS-IMAGE-STALE": {
    severity: "medium",
    title: "The image is older than the allowed age",
    refs: [NIST("4.2.2"), CIS("4.4")],
    fix: "rebuild the image with current packages; rebuild on a schedule",
  },
  "CS-IMAGE-CREATED-MISSING": {
    severity: "low",
    title: "The image config has no valid created time",
    refs: [NIST("4.2.2")],
    fix: "set created (from SOURCE_DATE_EPOCH for reproducible builds)",
  },
  "CS-LAYERS-TOO-MANY": {
    severity: "medium",
    title: "The image has more than 127 layers, more than overlayfs can mount",
    refs: [NIST("4.1.2")],
    fix: "merge layers (fewer RUN steps, a multi-stage build, or cudaseal build)",
  },
  "CS-BASE-LATEST": {
    severity: "medium",
    title: "The base image is named by a floating tag",
    refs: [CIS("4.2"), NIST("4.1.5")],
    fix: "build FROM a pinned digest and record it in org.opencontainers.image.base.digest",
  },
  // The NVIDIA stack.
  "CS-NVIDIA-DRIVER-BUNDLED": {
    severity: "high",
    title: "NVIDIA driver libraries are bundled in the image",
    refs: [NIST("4.1.2"), "NVIDIA Container Toolkit: driver libraries are mounted from the host"],
    fix: "remove the driver's user-space libraries; the NVIDIA container toolkit injects the host's, matching its kernel module",
  },
  "CS-NVIDIA-ENV-MISSING": {
    severity: "medium",
    title: "A CUDA image does not declare NVIDIA_VISIBLE_DEVICES / NVIDIA_DRIVER_CAPABILITIES",
    refs: [NIST("4.1.2"), "NVIDIA Container Toolkit: environment variables"],
    fix: "set NVIDIA_VISIBLE_DEVICES=all and NVIDIA_DRIVER_CAPABILITIES=compute,utility",
  },
  "CS-NVIDIA-CAPABILITIES-ALL": {
    severity: "low",
    title: "NVIDIA_DRIVER_CAPABILITIES=all mounts more of the driver than CUDA needs",
    refs: [NIST("4.4.3"), "NVIDIA Container Toolkit: driver capabilities"],
    fix: "set NVIDIA_DRIVER_CAPABILITIES=compute,utility (add video or graphics only if used)",
  },
  "CS-NVIDIA-REQUIRE-CUDA-MISSING": {
    severity: "medium",
    title: "A CUDA image does not set NVIDIA_REQUIRE_CUDA",
    refs: [NIST("4.1.2"), "NVIDIA Container Toolkit: NVIDIA_REQUIRE_*"],
    fix: "set NVIDIA_REQUIRE_CUDA=cuda>=MAJOR.MINOR of the libcudart in the image, so old drivers are refused at start",
  },
  "CS-NVIDIA-REQUIRE-CUDA-MISMATCH": {
    severity: "medium",
    title: "NVIDIA_REQUIRE_CUDA does not match the libcudart in the image",
    refs: [NIST("4.1.2"), "NVIDIA Container Toolkit: NVIDIA_REQUIRE_*"],
    fix: "set NVIDIA_REQUIRE_CUDA=cuda>=MAJOR.MINOR of the libcudart actually present",
  },
  "CS-CUDA-LIBRARY-DUPLICATED": {
    severity: "medium",
    title: "A CUDA library is in the image more than once",
    refs: [NIST("4.1.2"), "NVIDIA CUDA: one copy of each CUDA library per process"],
    fix: "keep one copy of each: the Python wheels' nvidia-*-cu12 libraries or the system's CUDA packages, not both (see docs/python.md)",
  },
  // Files.
  "CS-FILE-SETUID": {
    severity: "high",
    title: "A file is setuid",
    refs: [CIS("4.8"), NIST("4.1.2")],
    fix: "remove the setuid bit (chmod u-s), or the file",
  },
  "CS-FILE-SETGID": {
    severity: "medium",
    title: "A file is setgid",
    refs: [CIS("4.8"), NIST("4.1.2")],
    fix: "remove the setgid bit (chmod g-s), or the file",
  },
  "CS-FILE-WORLD-WRITABLE": {
    severity: "medium",
    title: "A file or directory is world-writable",
    refs: [NIST("4.1.2")],
    fix: "chmod o-w; a directory all must write to gets the sticky bit too (chmod 1777, as /tmp has)",
  },
  "CS-FILE-SHELL": {
    severity: "medium",
    title: "A shell is in the image",
    refs: [CIS("4.3"), NIST("4.1.2")],
    fix: "leave shells out of runtime images; debug with an ephemeral debug container",
  },
  "CS-FILE-PACKAGE-MANAGER": {
    severity: "medium",
    title: "A package manager is in the image",
    refs: [CIS("4.3"), NIST("4.1.2")],
    fix: "install packages at build time, in a build stage; leave package managers out of the runtime image",
  },
  "CS-FILE-COMPILER": {
    severity: "medium",
    title: "A compiler is in the image",
    refs: [CIS("4.3"), NIST("4.1.2")],
    fix: "compile in a build stage and copy only the results into the runtime image",
  },
  "CS-FILE-NETWORK-TOOL": {
    severity: "low",
    title: "A network tool is in the image",
    refs: [CIS("4.3"), NIST("4.4.2")],
    fix: "leave curl, wget, netcat, socat, ssh and telnet out of runtime images",
  },
  "CS-PACKAGE-DB-MISSING": {
    severity: "medium",
    title: "The image has no package database, so scanners cannot see what is installed",
    refs: [NIST("4.1.1"), CIS("4.4")],
    fix: "keep /var/lib/dpkg/status (or status.d/) or /lib/apk/db/installed in the image, or ship an SBOM",
  },
  // Secrets in layer files.
  "CS-SECRET-PRIVATE-KEY": {
    severity: "critical",
    title: "A private key is in a layer",
    refs: [CIS("4.10"), NIST("4.1.4")],
    fix: "rotate the key; rebuild without it (deleting it in a later layer leaves it in the image)",
  },
  "CS-SECRET-AWS-KEY": {
    severity: "critical",
    title: "An AWS access key and its secret are in a layer",
    refs: [CIS("4.10"), NIST("4.1.4")],
    fix: "deactivate the key in IAM; rebuild without it; use a role or a mounted secret",
  },
  "CS-SECRET-GCP-SERVICE-ACCOUNT": {
    severity: "critical",
    title: "A GCP service-account key is in a layer",
    refs: [CIS("4.10"), NIST("4.1.4")],
    fix: "delete the key in IAM; rebuild without it; use workload identity",
  },
  "CS-SECRET-GITHUB-TOKEN": {
    severity: "critical",
    title: "A GitHub token is in a layer",
    refs: [CIS("4.10"), NIST("4.1.4")],
    fix: "revoke the token; rebuild without it",
  },
  "CS-SECRET-HUGGINGFACE-TOKEN": {
    severity: "critical",
    title: "A Hugging Face token is in a layer",
    refs: [CIS("4.10"), NIST("4.1.4")],
    fix: "revoke the token; mount HF_TOKEN at run time instead",
  },
  "CS-SECRET-SLACK-TOKEN": {
    severity: "critical",
    title: "A Slack token is in a layer",
    refs: [CIS("4.10"), NIST("4.1.4")],
    fix: "revoke the token; rebuild without it",
  },
  "CS-SECRET-URL-CREDENTIALS": {
    severity: "high",
    title: "A URL with a password is in a layer",
    refs: [CIS("4.10"), NIST("4.1.4")],
    fix: "rotate the password; take credentials from a mounted secret",
  },
  "CS-SECRET-GENERIC": {
    severity: "high",
    title: "A high-entropy key, token, secret or password is assigned in a layer",
    refs: [CIS("4.10"), NIST("4.1.4")],
    fix: "rotate it; take it from a mounted secret at run time",
  },
  "CS-SECRET-FILE": {
    severity: "high",
    title: "A credentials file is in a layer",
    refs: [CIS("4.10"), NIST("4.1.4")],
    fix: "rotate what it holds; rebuild without it (use a BuildKit secret mount during the build)",
  },
  // The layer tars themselves.
  "CS-TAR-PATH-TRAVERSAL": {
    severity: "critical",
    title: "A layer entry climbs out of the root (path traversal)",
    refs: [NIST("4.1.3"), NIST("4.5.5")],
    fix: "do not use the image; it was made to write outside the root of whatever unpacks it",
  },
  "CS-TAR-LINK-ESCAPE": {
    severity: "high",
    title: "A link in a layer points outside the root",
    refs: [NIST("4.1.3"), NIST("4.5.5")],
    fix: "make the link relative within the image, or absolute; never through '..' above the root",
  },
  "CS-TAR-SYMLINK-PARENT": {
    severity: "high",
    title: "A layer entry is written through a symlink",
    refs: [NIST("4.1.3"), NIST("4.5.5")],
    fix: "write entries at their real paths; an extractor that follows the link writes where it points",
  },
  "CS-LAYER-UNREADABLE": {
    severity: "critical",
    title: "A layer cannot be read to its end, so part of the image was not audited",
    refs: [NIST("4.1.5"), NIST("4.1.3")],
    fix: "do not use the image until it reads whole; fetch it again and compare its digests",
  },
} as const satisfies Record<string, AuditRule>;

export type AuditRuleId = keyof typeof AUDIT_RULES;

/** A finding of `id`, with the rule's severity, title, references and fix. */
export function finding(id: AuditRuleId, evidence: Evidence, message: string): Finding {
  const rule: AuditRule = AUDIT_RULES[id];
  return {
    id,
    severity: rule.severity,
    title: rule.title,
    refs: [...rule.refs],
    evidence,
    message,
    fix: rule.fix,
  };
}
