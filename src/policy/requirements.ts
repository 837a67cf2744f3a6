// The attestations a policy requires, in one neutral form each policy kind
// writes in its own language: Kyverno's JMESPath conditions, CEL for an
// ImageValidatingPolicy, Rego for the policy-controller. A requirement is a
// predicate type and checks on fields of the predicate; a missing field
// fails each of those languages' checks, so an empty or mislabelled
// attestation never passes.
//
// The GPU smoke attestation (`cudaseal attest --type gpu-smoke`, its
// predicate documented in docs/gpu.md) is required to say `result: pass`
// and, when branches are given, a `driver.branch` among them: a cluster
// then admits only images proven on a GPU with a driver of that branch.

import { CudasealError } from "../errors.ts";
import { ATTESTATION_KINDS, type AttestationName, isAttestationName } from "./kyverno-attestations.ts";

/**
 * The predicate type of cudaseal's GPU smoke report, as src/sign/gpu-smoke.ts
 * signs it (a test holds the two equal; writing a policy need not load the
 * signing code).
 */
export const GPU_SMOKE_PREDICATE_TYPE = "https://cudaseal.dev/attestation/gpu-smoke/v1";

/** One check on the predicate: the field at `path` equals, differs from, or is one of `value`. */
export interface PredicateCheck {
  path: readonly string[];
  op: "equals" | "notEquals" | "in";
  value: string | readonly string[];
  message: string;
}

export interface AttestationRequirement {
  /** A name usable as a CEL identifier and a Kubernetes name part: `cyclonedx`, `gpusmoke`. */
  name: string;
  predicateType: string;
  checks: readonly PredicateCheck[];
}

export interface RequirementsInput {
  /** cosign `--type` names from ATTESTATION_KINDS. */
  attestations?: readonly string[];
  /** Require the GPU smoke attestation. */
  gpuSmoke?: boolean;
  /** With gpuSmoke: the driver branches (`550`, `570`) a passing run may have used; any when empty. */
  driverBranches?: readonly string[];
}

/** The requirements `input` names, checked: USAGE for an unknown attestation or a bad branch. */
export function attestationRequirements(input: RequirementsInput): AttestationRequirement[] {
  const out: AttestationRequirement[] = [];
  for (const name of new Set(input.attestations ?? [])) {
    if (!isAttestationName(name)) {
      throw new CudasealError("USAGE", `unknown attestation ${JSON.stringify(name)}`, {
        hint: `use ${Object.keys(ATTESTATION_KINDS).join(", ")} (and --require-gpu-smoke for the GPU test)`,
        details: { attestation: name },
      });
    }
    out.push(kindRequirement(name));
  }
  const branches = [...new Set(input.driverBranches ?? [])];
  if (branches.length > 0 && !input.gpuSmoke) {
    throw new CudasealError("USAGE", "--driver-branch only narrows --require-gpu-smoke", {
      hint: "add --require-gpu-smoke",
    });
  }
  if (input.gpuSmoke) out.push(gpuSmokeRequirement(branches));
  return out;
}

/** The GPU smoke requirement: a passing run, on one of `branches` when any are given. */
export function gpuSmokeRequirement(branches: readonly string[]): AttestationRequirement {
  for (const branch of branches) {
    // NVIDIA names driver branches by their major version: 535, 550, 570.
    if (!/^[0-9]{2,4}$/.test(branch)) {
      throw new CudasealError("USAGE", `${JSON.stringify(branch)} is not a driver branch`, {
        hint: "a branch is the driver's major version, as nvidia-smi shows it: 550 for 550.54.15",
      });
    }
  }
  const checks: PredicateCheck[] = [
    { path: ["result"], op: "equals", value: "pass", message: "the GPU smoke test did not pass" },
  ];
  if (branches.length > 0) {
    checks.push({
      path: ["driver", "branch"],
      op: "in",
      value: branches,
      message: `the GPU smoke test ran on a driver branch other than ${branches.join(", ")}`,
    });
  }
  return { name: "gpusmoke", predicateType: GPU_SMOKE_PREDICATE_TYPE, checks };
}

function kindRequirement(name: AttestationName): AttestationRequirement {
  const kind = ATTESTATION_KINDS[name];
  const { key, operator, value, message } = kind.condition;
  // The kinds' conditions are written as Kyverno keys, `{{ a.b }}`.
  const path = /^\{\{ ([A-Za-z0-9_.]+) \}\}$/.exec(key)?.[1].split(".");
  if (!path)
    throw new CudasealError("INTERNAL", `attestation ${name}: condition key ${key} is not a field path`);
  return {
    name,
    predicateType: kind.predicateType,
    checks: [{ path, op: operator === "Equals" ? "equals" : "notEquals", value, message }],
  };
}

/** A check as a Kyverno `conditions[].all[]` entry (JMESPath over the predicate). */
export function kyvernoCondition(check: PredicateCheck): Record<string, unknown> {
  const operator = check.op === "equals" ? "Equals" : check.op === "notEquals" ? "NotEquals" : "AnyIn";
  return {
    key: `{{ ${check.path.join(".")} }}`,
    operator,
    value: typeof check.value === "string" ? check.value : [...check.value],
    message: check.message,
  };
}

/** A check as CEL over `payload` (an expression for the predicate, e.g. extractPayload(…)). */
export function celCheck(payload: string, check: PredicateCheck): string {
  const field = `${payload}.${check.path.join(".")}`;
  if (check.op === "in")
    return `${field} in [${(check.value as readonly string[]).map(celString).join(", ")}]`;
  return `${field} ${check.op === "equals" ? "==" : "!="} ${celString(check.value as string)}`;
}

/**
 * The checks as a Rego module over the in-toto statement, as the
 * policy-controller evaluates attestation policies (`package sigstore`,
 * `isCompliant`). Rego rather than CUE: a field the attestation lacks makes
 * a Rego rule undefined, so false, where CUE would fill it in from the
 * policy's own concrete value and pass. `import rego.v1` makes the same text
 * read alike under the OPA versions that parse Rego v0 or v1 by default.
 */
export function regoStatement(requirement: AttestationRequirement): string {
  const lines = [
    "package sigstore",
    "",
    "import rego.v1",
    "",
    "default isCompliant := false",
    "",
    "isCompliant if {",
    `  input.predicateType == ${JSON.stringify(requirement.predicateType)}`,
  ];
  for (const check of requirement.checks) {
    const field = `input.predicate.${check.path.join(".")}`;
    if (check.op === "in") {
      lines.push(
        `  ${field} in {${(check.value as readonly string[]).map((v) => JSON.stringify(v)).join(", ")}}`,
      );
    } else {
      lines.push(`  ${field} ${check.op === "equals" ? "==" : "!="} ${JSON.stringify(check.value)}`);
    }
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

/** A CEL string literal. */
export function celString(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}
