// What an image's config says about running it, for deploy and doctor: the
// user (and whether a runtime can prove it is not root), the environment,
// ports, and the paths it writes, which a read-only root file system must
// mount writable. A pure function of the config; the image is hostile, so
// every field is checked for its type and odd values are left out.

import { posix } from "node:path";

/** The user an image runs as, parsed the way Kubernetes has to see it. */
export interface ImageUser {
  /** The config's User as written; "" when unset (the runtime then runs root). */
  raw: string;
  uid?: number;
  gid?: number;
  /** uid 0, `root`, or unset. */
  root: boolean;
  /** Both parts numeric, so runAsNonRoot can be checked without the image's /etc/passwd. */
  numeric: boolean;
}

/** Why a path has to be writable. */
export type WritableReason = "tmp" | "volume" | "workdir" | "home" | "cache" | "model-cache" | "label";

export interface WritablePath {
  path: string;
  reason: WritableReason;
  /** The env variable or label that named it. */
  from?: string;
}

export interface RuntimeFacts {
  user: ImageUser;
  env: Record<string, string>;
  /** `8000/tcp`, sorted. */
  ports: { port: number; protocol: "TCP" | "UDP" | "SCTP" }[];
  volumes: string[];
  workdir?: string;
  labels: Record<string, string>;
  /** Paths the image writes, sorted, one per mount needed. */
  writable: WritablePath[];
  /** NVIDIA_REQUIRE_CUDA, when the image sets it. */
  requireCuda?: string;
  /** NVIDIA_VISIBLE_DEVICES or a CUDA requirement: the image asks for a GPU. */
  gpu: boolean;
}

/** Env variables naming caches of downloaded models: they want a persistent volume, not scratch space. */
export const MODEL_CACHE_ENV = [
  "HF_HOME",
  "HF_HUB_CACHE",
  "HUGGINGFACE_HUB_CACHE",
  "TRANSFORMERS_CACHE",
  "HF_DATASETS_CACHE",
  "SENTENCE_TRANSFORMERS_HOME",
  "TORCH_HOME",
  "VLLM_CACHE_ROOT",
  "MODEL_CACHE_DIR",
];

/** Env variables naming caches that may start empty: JIT and compile caches, config dirs. */
export const CACHE_ENV = [
  "XDG_CACHE_HOME",
  "CUDA_CACHE_PATH",
  "TRITON_CACHE_DIR",
  "TORCHINDUCTOR_CACHE_DIR",
  "NUMBA_CACHE_DIR",
  "MPLCONFIGDIR",
  "PYTHONPYCACHEPREFIX",
];

/**
 * Label an image may carry to name further paths it writes, comma-separated
 * (`/var/lib/app,/run/app`); the config has no other way to say so.
 */
export const WRITABLE_LABEL = "dev.cudaseal.writable-paths";

const ROOT_NAMES = new Set(["", "0", "root"]);

/** Parse `uid[:gid]` or `name[:group]`. */
export function parseImageUser(raw: string): ImageUser {
  const [user, group] = raw.split(":", 2);
  const isNum = (s: string | undefined) => s !== undefined && /^\d{1,10}$/.test(s);
  const result: ImageUser = {
    raw,
    // `00` is uid 0 too: runtimes read the number, not the spelling.
    root: ROOT_NAMES.has(user ?? "") || (isNum(user) && Number(user) === 0),
    numeric: isNum(user) && (group === undefined || isNum(group)),
  };
  if (isNum(user)) result.uid = Number(user);
  if (isNum(group)) result.gid = Number(group);
  else if (result.uid !== undefined && group === undefined) result.gid = result.uid;
  return result;
}

function stringField(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  return typeof v === "string" ? v : undefined;
}

function objectKeys(v: unknown): string[] {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? Object.keys(v) : [];
}

/** An absolute, normalised path, or undefined for anything else. */
function cleanPath(p: string): string | undefined {
  if (!p.startsWith("/") || p.includes("\0")) return undefined;
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith("/") ? n.slice(0, -1) : n;
}

/** The facts of an image config (the OCI config blob, parsed). */
export function runtimeFacts(config: Record<string, unknown>): RuntimeFacts {
  const c = (config.config ?? {}) as Record<string, unknown>;
  const env: Record<string, string> = {};
  if (Array.isArray(c.Env)) {
    for (const e of c.Env) {
      if (typeof e !== "string") continue;
      const eq = e.indexOf("=");
      if (eq > 0) env[e.slice(0, eq)] = e.slice(eq + 1);
    }
  }
  const labels: Record<string, string> = {};
  if (c.Labels && typeof c.Labels === "object") {
    for (const [k, v] of Object.entries(c.Labels)) if (typeof v === "string") labels[k] = v;
  }
  const ports = objectKeys(c.ExposedPorts)
    .map((p) => /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/i.exec(p))
    .filter((m): m is RegExpExecArray => m !== null && Number(m[1]) > 0 && Number(m[1]) < 65536)
    .map((m) => ({ port: Number(m[1]), protocol: (m[2] ?? "tcp").toUpperCase() as "TCP" | "UDP" | "SCTP" }))
    .sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
  const volumes = objectKeys(c.Volumes)
    .map(cleanPath)
    .filter((p): p is string => p !== undefined)
    .sort();
  const workdir = cleanPath(stringField(c, "WorkingDir") ?? "");
  const user = parseImageUser(stringField(c, "User") ?? "");

  const found: WritablePath[] = [{ path: "/tmp", reason: "tmp" }];
  for (const v of volumes) found.push({ path: v, reason: "volume" });
  for (const name of MODEL_CACHE_ENV) {
    const p = env[name] && cleanPath(env[name]);
    if (p) found.push({ path: p, reason: "model-cache", from: name });
  }
  for (const name of CACHE_ENV) {
    const p = env[name] && cleanPath(env[name]);
    if (p) found.push({ path: p, reason: "cache", from: name });
  }
  const home = env.HOME && cleanPath(env.HOME);
  if (home && home !== "/") found.push({ path: home, reason: "home", from: "HOME" });
  // `/` as a working directory is the default, not a statement that the image writes there.
  if (workdir && workdir !== "/") found.push({ path: workdir, reason: "workdir" });
  for (const p of (labels[WRITABLE_LABEL] ?? "").split(",")) {
    const clean = cleanPath(p.trim());
    if (clean) found.push({ path: clean, reason: "label", from: WRITABLE_LABEL });
  }

  const requireCuda = env.NVIDIA_REQUIRE_CUDA?.trim() || undefined;
  const visible = env.NVIDIA_VISIBLE_DEVICES;
  const facts: RuntimeFacts = {
    user,
    env,
    ports,
    volumes,
    labels,
    writable: dedupe(found),
    // `void`, `none` and empty ask the container toolkit for no GPU.
    gpu: requireCuda !== undefined || (visible !== undefined && !["", "void", "none"].includes(visible)),
  };
  if (workdir) facts.workdir = workdir;
  if (requireCuda) facts.requireCuda = requireCuda;
  return facts;
}

/**
 * One entry per mount: the first reason for a path, and no scratch path
 * inside another (a model cache keeps its own mount: it may become a volume).
 */
function dedupe(paths: WritablePath[]): WritablePath[] {
  const byPath = new Map<string, WritablePath>();
  for (const p of paths) if (!byPath.has(p.path)) byPath.set(p.path, p);
  const sorted = [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return sorted.filter(
    (p) =>
      p.reason === "model-cache" ||
      !sorted.some((q) => q !== p && q.path !== "/" && p.path.startsWith(`${q.path}/`)),
  );
}
