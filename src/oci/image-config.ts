// The OCI image configuration: what the runtime starts (user, environment,
// entrypoint…) and the rootfs it starts it in, as the diff IDs (digests of
// the uncompressed layer tars) in order, with one history entry per layer.
// Every field comes from the input, `created` included, so the config and
// its digest are the same on every build of the same input.

import { CudasealError } from "../errors.ts";
import { isSha256Digest } from "./descriptor.ts";
import { linuxPlatform } from "./platform.ts";

/** The OCI `config` member: how a container of this image runs. */
export interface RuntimeConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Volumes?: Record<string, Record<string, never>>;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  comment?: string;
  author?: string;
  empty_layer?: boolean;
}

/** An OCI image config as serialised into the config blob. */
export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  config: RuntimeConfig;
  rootfs: { type: "layers"; diff_ids: string[] };
  history?: HistoryEntry[];
}

/** One layer as the config sees it: its uncompressed digest and how it was made. */
export interface ConfigLayer {
  /** sha256 of the uncompressed layer tar. */
  diffId: string;
  /** Shown by `docker history`, e.g. `cudaseal: packages cuda-cudart-12-8 …`. */
  createdBy: string;
  comment?: string;
}

export interface ImageConfigInput {
  /** Debian or OCI architecture name: `amd64`, `arm64` (gets variant v8). */
  arch: string;
  /** Build time written to `created` and every history entry; take it from SOURCE_DATE_EPOCH or the lock. */
  created: Date;
  author?: string;
  user?: string;
  /** `NAME=value` entries, in order (later ones may refer to earlier ones). */
  env?: readonly string[];
  entrypoint?: readonly string[];
  cmd?: readonly string[];
  workingDir?: string;
  labels?: Readonly<Record<string, string>>;
  stopSignal?: string;
  /** `80/tcp`, `5000/udp`, or a bare port (tcp). */
  exposedPorts?: readonly string[];
  volumes?: readonly string[];
  layers: readonly ConfigLayer[];
}

/** Build the image config for one platform. */
export function buildImageConfig(input: ImageConfigInput): ImageConfig {
  const platform = linuxPlatform(input.arch);
  const created = formatTime(input.created);
  const runtime: RuntimeConfig = {};
  if (input.user !== undefined) runtime.User = input.user;
  if (input.env !== undefined) runtime.Env = input.env.map(checkEnv);
  if (input.entrypoint !== undefined) runtime.Entrypoint = [...input.entrypoint];
  if (input.cmd !== undefined) runtime.Cmd = [...input.cmd];
  if (input.workingDir !== undefined) runtime.WorkingDir = input.workingDir;
  if (input.labels !== undefined && Object.keys(input.labels).length > 0)
    runtime.Labels = { ...input.labels };
  if (input.stopSignal !== undefined) runtime.StopSignal = input.stopSignal;
  if (input.exposedPorts !== undefined && input.exposedPorts.length > 0) {
    runtime.ExposedPorts = Object.fromEntries(input.exposedPorts.map((p) => [checkPort(p), {}]));
  }
  if (input.volumes !== undefined && input.volumes.length > 0) {
    runtime.Volumes = Object.fromEntries(input.volumes.map((v) => [checkVolume(v), {}]));
  }
  for (const layer of input.layers) {
    if (!isSha256Digest(layer.diffId)) {
      throw new CudasealError("IMAGE_INVALID", `layer diff ID is not a sha256 digest: ${layer.diffId}`);
    }
  }
  const config: ImageConfig = {
    created,
    architecture: platform.architecture,
    os: platform.os,
    config: runtime,
    rootfs: { type: "layers", diff_ids: input.layers.map((l) => l.diffId) },
    history: input.layers.map((l) => {
      const entry: HistoryEntry = { created, created_by: l.createdBy };
      if (l.comment !== undefined) entry.comment = l.comment;
      if (input.author !== undefined) entry.author = input.author;
      return entry;
    }),
  };
  if (platform.variant !== undefined) config.variant = platform.variant;
  if (input.author !== undefined) config.author = input.author;
  return config;
}

/**
 * RFC 3339 in UTC with whole seconds written as Go writes them
 * (`2025-01-02T03:04:05Z`), and milliseconds only when there are some.
 */
export function formatTime(date: Date): string {
  if (Number.isNaN(date.getTime()))
    throw new CudasealError("IMAGE_INVALID", "the image creation time is not a valid date");
  return date.toISOString().replace(".000Z", "Z");
}

function checkEnv(entry: string): string {
  const eq = entry.indexOf("=");
  if (eq <= 0) {
    throw new CudasealError(
      "IMAGE_INVALID",
      `environment entry must be NAME=value: ${JSON.stringify(entry)}`,
    );
  }
  return entry;
}

const PORT = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/;

function checkPort(port: string): string {
  const m = PORT.exec(port);
  if (m === null || Number(m[1]) < 1 || Number(m[1]) > 65535) {
    throw new CudasealError(
      "IMAGE_INVALID",
      `exposed port must be PORT[/tcp|udp|sctp]: ${JSON.stringify(port)}`,
    );
  }
  return `${Number(m[1])}/${m[2] ?? "tcp"}`;
}

function checkVolume(volume: string): string {
  if (!volume.startsWith("/")) {
    throw new CudasealError("IMAGE_INVALID", `volume must be an absolute path: ${JSON.stringify(volume)}`);
  }
  return volume;
}
