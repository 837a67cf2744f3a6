// Checks on the image config: who it runs as, secrets in Env, labels and
// history, the OCI labels, HEALTHCHECK, age, layer count, the base image, and
// the NVIDIA container toolkit's variables against the CUDA runtime the
// layer walk found. Pure: the config and the walk's facts in, findings out.

import { type Finding, redact } from "../findings/index.ts";
import { finding } from "./rules.ts";
import { findSecrets, isSecretAssignment, SECRET_WORDS } from "./secrets.ts";

export interface ConfigFacts {
  /** The CUDA runtime found in the final file system. */
  cudart: { present: boolean; version?: { major: number; minor: number; full: string }; path?: string };
  layers: number;
}

export interface ConfigCheckOptions {
  /** Images created longer ago than this many days are stale (default 30). */
  maxAgeDays?: number;
  /** The time to judge age by; now by default. */
  now?: Date;
}

const REQUIRED_LABELS = ["created", "source", "revision", "version"].map(
  (k) => `org.opencontainers.image.${k}`,
);
export const MAX_LAYERS = 127;

type Json = Record<string, unknown>;

/** Every config finding of `config` (an OCI/Docker image config, parsed). */
export function checkConfig(config: Json, facts: ConfigFacts, options: ConfigCheckOptions = {}): Finding[] {
  const out: Finding[] = [];
  const runtime = (isObject(config.config) ? config.config : {}) as Json;
  checkUser(runtime.User, out);
  const env = envMap(runtime.Env);
  for (const [name, value] of env) checkAssignment("CS-SECRET-ENV", `config.Env[${name}]`, name, value, out);
  const labels = isObject(runtime.Labels) ? (runtime.Labels as Json) : {};
  for (const [name, value] of Object.entries(labels)) {
    if (typeof value === "string")
      checkAssignment("CS-SECRET-LABEL", `config.Labels[${name}]`, name, value, out);
  }
  checkHistory(config.history, out);
  for (const label of REQUIRED_LABELS) {
    if (typeof labels[label] !== "string" || labels[label] === "") {
      out.push(
        finding("CS-LABEL-MISSING", { field: `config.Labels[${label}]` }, `the image has no ${label} label`),
      );
    }
  }
  const ports = isObject(runtime.ExposedPorts) ? Object.keys(runtime.ExposedPorts as Json) : [];
  const health = isObject(runtime.Healthcheck) ? (runtime.Healthcheck as Json).Test : undefined;
  const noHealth = !Array.isArray(health) || health.length === 0 || health[0] === "NONE";
  if (ports.length > 0 && noHealth) {
    out.push(
      finding(
        "CS-HEALTHCHECK-MISSING",
        { field: "config.Healthcheck" },
        `the image exposes ${ports.sort().join(", ")} but has no HEALTHCHECK`,
      ),
    );
  }
  checkAge(config.created, options, out);
  if (facts.layers > MAX_LAYERS) {
    out.push(
      finding(
        "CS-LAYERS-TOO-MANY",
        { field: "rootfs.diff_ids" },
        `the image has ${facts.layers} layers; overlayfs mounts at most 128`,
      ),
    );
  }
  const base = labels["org.opencontainers.image.base.name"];
  if (
    typeof base === "string" &&
    floatingTag(base) &&
    typeof labels["org.opencontainers.image.base.digest"] !== "string"
  ) {
    out.push(
      finding(
        "CS-BASE-LATEST",
        { field: "config.Labels[org.opencontainers.image.base.name]" },
        `the base image is ${base}, a floating tag with no base.digest beside it`,
      ),
    );
  }
  checkNvidia(env, facts, out);
  return out;
}

function checkUser(user: unknown, out: Finding[]): void {
  const text = typeof user === "string" ? user.trim() : "";
  if (text === "") {
    out.push(
      finding(
        "CS-USER-MISSING",
        { field: "config.User" },
        "the image sets no User, so its processes run as root",
      ),
    );
    return;
  }
  const [name, group] = text.split(":");
  if (name === "root" || name === "0" || /^0+$/.test(name)) {
    out.push(finding("CS-USER-ROOT", { field: "config.User" }, `User is ${text}: the image runs as root`));
    return;
  }
  if (!/^\d+$/.test(name) || (group !== undefined && !/^\d+$/.test(group))) {
    out.push(
      finding(
        "CS-USER-NON-NUMERIC",
        { field: "config.User" },
        `User is ${text}, a name: Kubernetes runAsNonRoot cannot tell whether it is root`,
      ),
    );
  }
}

function checkAssignment(
  id: "CS-SECRET-ENV" | "CS-SECRET-LABEL",
  field: string,
  name: string,
  value: string,
  out: Finding[],
): void {
  const strong = findSecrets(value, "name").filter((m) => m.kind !== "generic");
  if (strong.length > 0) {
    for (const m of strong) {
      out.push(
        finding(
          id,
          { field, snippet: redact(m.value) },
          `${SECRET_WORDS[m.kind]} in ${field}: ${redact(m.value)}`,
        ),
      );
    }
  } else if (isSecretAssignment(name, value)) {
    out.push(
      finding(id, { field, snippet: redact(value) }, `${field} holds a secret by its name: ${redact(value)}`),
    );
  }
}

/**
 * Build arguments leak through history: BuildKit writes a RUN that used them as
 * `RUN |2 TOKEN=abc OTHER=x /bin/sh -c …`, and the classic builder as `|2 TOKEN=abc …`.
 */
function checkHistory(history: unknown, out: Finding[]): void {
  if (!Array.isArray(history)) return;
  for (const [i, h] of history.entries()) {
    const line = isObject(h) && typeof h.created_by === "string" ? h.created_by : undefined;
    if (line === undefined) continue;
    const field = `history[${i}].created_by`;
    const seen = new Set<string>();
    for (const [name, value] of buildArgs(line)) {
      if (isSecretAssignment(name, value)) {
        seen.add(value);
        out.push(
          finding(
            "CS-SECRET-HISTORY",
            { field, snippet: redact(value) },
            `build argument ${name} in ${field}: ${redact(value)}`,
          ),
        );
      }
    }
    for (const m of findSecrets(line, "name")) {
      if (seen.has(m.value)) continue;
      seen.add(m.value);
      const name = m.name === undefined ? "" : ` (${m.name})`;
      out.push(
        finding(
          "CS-SECRET-HISTORY",
          { field, snippet: redact(m.value) },
          `${SECRET_WORDS[m.kind]}${name} in ${field}: ${redact(m.value)}`,
        ),
      );
    }
  }
}

/** The `NAME=VALUE` build arguments a history line starts with (`RUN |2 A=1 B=2 /bin/sh -c …`). */
export function buildArgs(line: string): [string, string][] {
  const m = /^(?:RUN\s+)?\|(\d+)\s+/.exec(line);
  if (!m) return [];
  const count = Number(m[1]);
  const out: [string, string][] = [];
  let rest = line.slice(m[0].length);
  for (let i = 0; i < count; i++) {
    const arg = /^([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)\s*/.exec(rest);
    if (!arg) break;
    out.push([arg[1], arg[2].replace(/^(["'])(.*)\1$/, "$2")]);
    rest = rest.slice(arg[0].length);
  }
  return out;
}

function checkAge(created: unknown, options: ConfigCheckOptions, out: Finding[]): void {
  const time = typeof created === "string" ? Date.parse(created) : Number.NaN;
  if (Number.isNaN(time) || time <= 0) {
    out.push(
      finding(
        "CS-IMAGE-CREATED-MISSING",
        { field: "created" },
        `created is ${created === undefined ? "missing" : JSON.stringify(created)}`,
      ),
    );
    return;
  }
  const maxAge = options.maxAgeDays ?? 30;
  const now = (options.now ?? new Date()).getTime();
  const days = Math.floor((now - time) / 86_400_000);
  if (days > maxAge) {
    out.push(
      finding(
        "CS-IMAGE-STALE",
        { field: "created" },
        `the image was created ${days} days ago (${created}), more than ${maxAge}`,
      ),
    );
  }
}

/** `nvidia/cuda`, `ubuntu:latest`, `registry.example/library/debian:latest`: no tag or latest, no digest. */
function floatingTag(ref: string): boolean {
  if (ref === "scratch" || ref.includes("@sha256:")) return false;
  const last = ref.slice(ref.lastIndexOf("/") + 1);
  const colon = last.indexOf(":");
  return colon < 0 || last.slice(colon + 1) === "latest";
}

function checkNvidia(env: Map<string, string>, facts: ConfigFacts, out: Finding[]): void {
  const caps = env.get("NVIDIA_DRIVER_CAPABILITIES");
  if (caps?.split(",").some((c) => c.trim() === "all")) {
    out.push(
      finding(
        "CS-NVIDIA-CAPABILITIES-ALL",
        { field: "config.Env[NVIDIA_DRIVER_CAPABILITIES]" },
        "NVIDIA_DRIVER_CAPABILITIES=all mounts graphics, video and display libraries too; CUDA needs compute,utility",
      ),
    );
  }
  if (!facts.cudart.present) return;
  const at = facts.cudart.path ?? "libcudart";
  const missing = ["NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES"].filter((k) => !env.has(k));
  if (missing.length > 0) {
    out.push(
      finding(
        "CS-NVIDIA-ENV-MISSING",
        { field: `config.Env[${missing[0]}]` },
        `the image carries the CUDA runtime (${at}) but does not set ${missing.join(" or ")}`,
      ),
    );
  }
  const require = env.get("NVIDIA_REQUIRE_CUDA");
  const have = facts.cudart.version;
  if (require === undefined) {
    out.push(
      finding(
        "CS-NVIDIA-REQUIRE-CUDA-MISSING",
        { field: "config.Env[NVIDIA_REQUIRE_CUDA]" },
        `the image carries the CUDA runtime${have ? ` ${have.full}` : ""} but does not set NVIDIA_REQUIRE_CUDA${have ? ` (cuda>=${have.major}.${have.minor})` : ""}`,
      ),
    );
    return;
  }
  if (have === undefined) return;
  const wanted = /cuda\s*>=\s*(\d+)\.(\d+)/.exec(require);
  if (!wanted) {
    out.push(
      finding(
        "CS-NVIDIA-REQUIRE-CUDA-MISMATCH",
        { field: "config.Env[NVIDIA_REQUIRE_CUDA]" },
        `NVIDIA_REQUIRE_CUDA=${require} names no cuda>=X.Y; the image's libcudart is ${have.full}`,
      ),
    );
    return;
  }
  const [major, minor] = [Number(wanted[1]), Number(wanted[2])];
  if (major !== have.major || minor !== have.minor) {
    const why =
      major < have.major || (major === have.major && minor < have.minor)
        ? "too low: a driver too old for it will be accepted and fail at the first CUDA call"
        : "higher than it needs: drivers that could run it are refused";
    out.push(
      finding(
        "CS-NVIDIA-REQUIRE-CUDA-MISMATCH",
        { field: "config.Env[NVIDIA_REQUIRE_CUDA]" },
        `NVIDIA_REQUIRE_CUDA asks for cuda>=${major}.${minor} but ${at} is CUDA ${have.full}: ${why}`,
      ),
    );
  }
}

function envMap(env: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (!Array.isArray(env)) return out;
  for (const e of env) {
    if (typeof e !== "string") continue;
    const eq = e.indexOf("=");
    if (eq > 0) out.set(e.slice(0, eq), e.slice(eq + 1));
    else out.set(e, "");
  }
  return out;
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
