// `cudaseal audit`'s library entry: open the image, walk its layers once,
// check its config against what the walk found, and apply the policy file.
// Returns the findings report; the CLI renders it and applies the gate.

import { inStage } from "../errors.ts";
import {
  applyPolicy,
  type Finding,
  type FindingsReport,
  loadPolicy,
  POLICY_EXPIRED_ID,
  type Policy,
} from "../findings/index.ts";
import { type OpenedImage, openImage } from "../source/image-source.ts";
import type { ProgressSink } from "../util/progress.ts";
import { checkConfig } from "./config-checks.ts";
import { type WalkResult, walkLayers } from "./layer-walk.ts";
import { AUDIT_RULES, finding } from "./rules.ts";

export interface AuditOptions {
  /** Which platform of a multi-platform image; the host's by default. */
  arch?: string;
  /** Days after `created` an image counts as stale (default 30). */
  maxAgeDays?: number;
  /** A policy file path, or one already parsed. */
  policy?: string | Policy;
  /** Largest body searched for secrets, bytes (default 1 MiB). */
  maxScanSize?: number;
  /** The time to judge age and expiry by; now by default. */
  now?: Date;
  progress?: ProgressSink;
}

export interface AuditResult {
  report: FindingsReport;
  /** Rule ids the policy names that audit does not have (likely typos). */
  unknownPolicyRules: string[];
}

/** Audit the image `ref` names. */
export async function auditImage(ref: string, options: AuditOptions = {}): Promise<AuditResult> {
  const policy = typeof options.policy === "string" ? loadPolicy(options.policy) : options.policy;
  let image: OpenedImage;
  try {
    image = await openImage(ref, { arch: options.arch });
  } catch (err) {
    throw inStage("open image", err);
  }
  const walk = await walkLayers(image, {
    origin: ref,
    maxScanSize: options.maxScanSize,
    progress: options.progress,
  }).catch((err) => {
    throw inStage("read layers", err);
  });
  const findings = imageFindings(image, walk, options);
  const outcome =
    policy === undefined
      ? { findings, suppressed: [], unknownRules: [] }
      : applyPolicy(findings, policy, {
          today: options.now,
          knownRules: [...Object.keys(AUDIT_RULES), POLICY_EXPIRED_ID],
        });
  return {
    report: {
      tool: "audit",
      target: ref,
      kind: "image",
      findings: outcome.findings,
      suppressed: outcome.suppressed,
      properties: reportProperties(image, walk, policy),
    },
    // One policy file serves lint too: its rules (CS-DF-…) are not typos here.
    unknownPolicyRules: outcome.unknownRules.filter((id) => !id.startsWith("CS-DF-")),
  };
}

/** The walk's findings, the config's, and a missing package database. */
function imageFindings(image: OpenedImage, walk: WalkResult, options: AuditOptions): Finding[] {
  const findings: Finding[] = [
    ...walk.findings,
    ...checkConfig(
      image.config,
      { cudart: walk.cudart, layers: image.layers.length },
      {
        maxAgeDays: options.maxAgeDays,
        now: options.now,
      },
    ),
  ];
  if (!walk.packageDatabase) {
    findings.push(
      finding(
        "CS-PACKAGE-DB-MISSING",
        { field: "rootfs" },
        "the image has no dpkg status, status.d/ or apk database: scanners will see no packages in it",
      ),
    );
  }
  return findings;
}

/** What the report says of the image and the walk. */
function reportProperties(
  image: OpenedImage,
  walk: WalkResult,
  policy: Policy | undefined,
): Record<string, unknown> {
  const platform = image.config as { architecture?: unknown; os?: unknown; created?: unknown };
  return {
    manifestDigest: image.manifestDigest,
    platform: `${String(platform.os ?? "linux")}/${String(platform.architecture ?? "unknown")}`,
    ...(typeof platform.created === "string" ? { created: platform.created } : {}),
    layers: walk.stats.layers,
    entries: walk.stats.entries,
    uncompressedBytes: walk.stats.uncompressedBytes,
    scannedFiles: walk.stats.scannedFiles,
    ...(walk.pythonPackages === undefined ? {} : { pythonPackages: walk.pythonPackages }),
    ...(walk.cudart.version ? { cudaRuntime: walk.cudart.version.full } : {}),
    ...(policy === undefined ? {} : { policy: policy.source }),
  };
}
