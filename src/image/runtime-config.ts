// The image config's runtime part (User, Env, Entrypoint…) and the
// org.opencontainers.image.* labels, from the spec and what was installed.

import { withDiagnostics } from "../contents/diagnostics.ts";
import type { Spec } from "../spec/types.ts";
import type { CudaVersion } from "./cuda-version.ts";
import { requireCuda } from "./cuda-version.ts";

export interface RuntimeConfig {
  User: string;
  Env: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
  Labels: Record<string, string>;
  StopSignal?: string;
}

export interface RuntimeConfigInput {
  spec: Spec;
  cuda?: CudaVersion;
  created: Date;
  /** The image reference users will run, for the usage label. */
  reference: string;
}

/** PATH in every image unless the spec sets its own. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export function runtimeConfig(input: RuntimeConfigInput): RuntimeConfig {
  const { spec, cuda } = input;
  const user = spec.accounts?.runAs ?? "65532:65532";
  const env: Record<string, string> = {
    PATH: DEFAULT_PATH,
    SSL_CERT_FILE: "/etc/ssl/certs/ca-certificates.crt",
  };
  if (cuda) {
    env.NVIDIA_VISIBLE_DEVICES = "all";
    env.NVIDIA_DRIVER_CAPABILITIES = "compute,utility";
    env.NVIDIA_REQUIRE_CUDA = requireCuda(cuda);
    env.CUDA_VERSION = cuda.full;
  }
  Object.assign(env, spec.env ?? {});
  if (cuda && spec.env?.NVIDIA_REQUIRE_CUDA === undefined) env.NVIDIA_REQUIRE_CUDA = requireCuda(cuda);
  const labels = { ...imageLabels(input), ...(spec.labels ?? {}) };
  const config: RuntimeConfig = {
    User: user,
    Env: Object.keys(env)
      .sort()
      .map((k) => `${k}=${env[k]}`),
    Labels: labels,
  };
  if (spec.entrypoint?.length) config.Entrypoint = spec.entrypoint;
  if (spec.diagnostics === true) config.Entrypoint = withDiagnostics(spec.entrypoint);
  if (spec.cmd?.length) config.Cmd = spec.cmd;
  if (spec.workdir) config.WorkingDir = spec.workdir;
  config.StopSignal = spec.stopSignal ?? "SIGTERM";
  return config;
}

/** The org.opencontainers.image.* set, also used as manifest annotations. */
export function imageLabels(input: RuntimeConfigInput): Record<string, string> {
  const { spec, cuda } = input;
  const user = spec.accounts?.runAs ?? "65532:65532";
  const labels: Record<string, string> = {
    "org.opencontainers.image.created": input.created.toISOString().replace(/\.\d{3}Z$/, "Z"),
    "org.opencontainers.image.title": spec.name ?? "cudaseal-image",
    "org.opencontainers.image.description": spec.description ?? "Minimal hardened image built by cudaseal",
    "org.opencontainers.image.version": spec.version ?? (cuda ? cuda.full : "0"),
    "org.opencontainers.image.vendor": "cudaseal",
    "org.opencontainers.image.licenses": "LicenseRef-Debian-Packages",
    // Built from scratch out of packages: there is no base image to name.
    "org.opencontainers.image.base.name": "scratch",
    "org.opencontainers.image.usage": usage(input.reference, user, cuda !== undefined),
  };
  const revision = spec.annotations?.["org.opencontainers.image.revision"];
  if (revision) labels["org.opencontainers.image.revision"] = revision;
  const source = spec.annotations?.["org.opencontainers.image.source"];
  if (source) labels["org.opencontainers.image.source"] = source;
  return labels;
}

function usage(reference: string, user: string, gpu: boolean): string {
  return [
    "docker run --rm",
    gpu ? "--gpus all" : "",
    `--user ${user}`,
    "--read-only --tmpfs /tmp:rw,noexec,nosuid,size=256m",
    "--cap-drop ALL --security-opt no-new-privileges:true",
    gpu ? "--shm-size 1g" : "",
    reference,
  ]
    .filter(Boolean)
    .join(" ");
}
