// The options every admission policy kind shares, checked the same way for
// each: image patterns, the policy's name, Enforce or Audit, the webhook's
// timeout, pull secrets. Each kind writes them in its own fields.

import { CudasealError } from "../errors.ts";

/** Enforce refuses an unverified pod; Audit admits it and reports it. */
export type FailureAction = "Enforce" | "Audit";

export const DEFAULT_POLICY_NAME = "cudaseal-verify-images";
/** The longest a Kubernetes admission webhook may wait; verification fetches from the registry. */
export const MAX_TIMEOUT_SECONDS = 30;

/** What every kind takes besides the signer and the attestations. */
export interface CommonPolicyInput {
  /** Image reference patterns (`registry.example/org/*`); `*` and `?` are wildcards. */
  images: readonly string[];
  /** metadata.name (default: cudaseal-verify-images). */
  name?: string;
  /** default: Enforce. */
  action?: string;
  /** The admission webhook's timeout, 1 to 30 seconds (default: 30). */
  timeoutSeconds?: number;
  /** Secrets holding pull credentials for the registry. */
  pullSecrets?: readonly string[];
}

export interface CommonPolicyOptions {
  images: string[];
  name: string;
  action: FailureAction;
  timeoutSeconds: number;
  pullSecrets: string[];
}

/** The shared options, checked, with their defaults. */
export function commonPolicyOptions(input: CommonPolicyInput): CommonPolicyOptions {
  return {
    images: checkImages(input.images),
    name: checkName(input.name ?? DEFAULT_POLICY_NAME),
    action: checkAction(input.action ?? "Enforce"),
    timeoutSeconds: checkTimeout(input.timeoutSeconds ?? MAX_TIMEOUT_SECONDS),
    pullSecrets: checkPullSecrets(input.pullSecrets ?? []),
  };
}

export function usage(message: string, hint?: string, details?: Record<string, unknown>): CudasealError {
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

function checkPullSecrets(secrets: readonly string[]): string[] {
  const out = [...new Set(secrets)];
  for (const s of out) {
    // A Secret's name is a DNS subdomain: labels joined by dots, 253 characters at most.
    if (s.length > 253 || !s.split(".").every((label) => /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(label))) {
      throw usage(`${JSON.stringify(s)} is not a Secret name`, "lowercase letters, digits, '-' and '.'");
    }
  }
  return out;
}
