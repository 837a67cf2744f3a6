// The deployment plan: everything the three targets (Kubernetes, Compose,
// docker run) write, decided once from the image's config and the flags. A
// pure function; the writers only format it. The plan refuses an image that
// would run as root or as a user name a runtime cannot check.

import { CudasealError } from "../errors.ts";
import { type RuntimeFacts, WRITABLE_LABEL, type WritableReason } from "../image/runtime-facts.ts";

export type DeployTarget = "k8s" | "compose" | "docker";
export type WorkloadKind = "Deployment" | "Job" | "Pod";

export interface DeployPlanOptions {
  target: DeployTarget;
  kind?: WorkloadKind;
  /** Workload, service and container name (DNS-1123 label); default: the image's title label, else `app`. */
  name?: string;
  /** The pull reference without digest (`registry.example/team/app` or with a tag); default: the name. */
  imageRef?: string;
  /** Override the digest to pin (the registry's manifest digest after a push). */
  digest?: string;
  /** GPUs: a count, `all` (not for Kubernetes), or for docker `device=0,1`. Default: 1 for k8s, all otherwise, 0 when the image asks for no GPU. */
  gpus?: string;
  runtimeClass?: string;
  /** Shared memory size: 2Gi, 512Mi, 1g…; default 1Gi when the image uses a GPU. */
  shmSize?: string;
  /** `UID[:GID]`, replacing the image's user. */
  user?: string;
  /** Memory limit (2Gi, 512Mi, 8g). */
  memory?: string;
  /** CPU limit (2, 0.5, 500m). */
  cpu?: string;
  namespace?: string;
}

/** A writable mount the read-only root needs. */
export interface PlannedMount {
  /** DNS-1123 label, unique in the plan: the Kubernetes volume or Compose volume name. */
  name: string;
  path: string;
  reason: WritableReason;
  /** Scratch space (emptyDir, tmpfs) or data to keep (a named volume, a PVC to be). */
  kind: "scratch" | "persistent";
  from?: string;
}

export interface DeployPlan {
  target: DeployTarget;
  kind: WorkloadKind;
  name: string;
  namespace?: string;
  /** `registry.example/team/app@sha256:…` */
  image: string;
  digest: string;
  uid: number;
  gid: number;
  /** GPU request: a count, or `all`, or a docker device list. */
  gpus: { count: number } | { all: true } | { devices: string[] };
  runtimeClass?: string;
  shmBytes?: number;
  memoryBytes?: number;
  /** CPU limit in millicores. */
  milliCpu?: number;
  mounts: PlannedMount[];
  ports: { port: number; protocol: "TCP" | "UDP" | "SCTP" }[];
  /** Env the deployment adds (NVIDIA_VISIBLE_DEVICES=void when no GPU is asked for). */
  env: Record<string, string>;
  /** Things the user should know, for stderr. */
  notes: string[];
}

const KINDS: readonly WorkloadKind[] = ["Deployment", "Job", "Pod"];
const TARGETS: readonly DeployTarget[] = ["k8s", "compose", "docker"];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
// A reference without digest: [host[:port]/]path[:tag], lower-case path components.
const REFERENCE =
  /^(?:[A-Za-z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?$/;

function usage(message: string, hint?: string): CudasealError {
  return new CudasealError("USAGE", message, hint ? { hint } : {});
}

const UNITS: Record<string, number> = {
  "": 1,
  k: 1000,
  m: 1000 ** 2,
  g: 1000 ** 3,
  ki: 1024,
  mi: 1024 ** 2,
  gi: 1024 ** 3,
  ti: 1024 ** 4,
};

/**
 * A size in bytes: Kubernetes quantities (2Gi, 512Mi, 1G) and Docker's
 * suffixes (2g, 512m, 1gb), which are binary, as Docker reads them.
 */
export function parseSize(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(text.trim());
  if (m) {
    const unit = m[2];
    let factor: number | undefined;
    if (/^[KMGT]i$/.test(unit) || /^[KMG]?$/.test(unit)) factor = UNITS[unit.toLowerCase()];
    // Docker's lower-case b/k/m/g (and kb/mb/gb) are powers of 1024.
    else if (/^[kmgt]b?$|^b$/.test(unit)) factor = unit === "b" ? 1 : 1024 ** ("kmgt".indexOf(unit[0]) + 1);
    if (factor !== undefined) {
      const bytes = Math.round(Number(m[1]) * factor);
      if (bytes > 0) return bytes;
    }
  }
  throw usage(
    `bad ${what} size: ${text}`,
    "use a Kubernetes quantity (2Gi, 512Mi) or a Docker size (2g, 512m)",
  );
}

function parseCpu(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(text.trim());
  const milli = m ? (m[2] ? Number(m[1]) : Number(m[1]) * 1000) : Number.NaN;
  if (!Number.isFinite(milli) || milli < 1 || !Number.isInteger(milli)) {
    throw usage(`bad CPU limit: ${text}`, "use cores (2, 0.5) or millicores (500m)");
  }
  return milli;
}

function parseGpus(
  text: string | undefined,
  target: DeployTarget,
  imageWantsGpu: boolean,
): DeployPlan["gpus"] {
  if (text === undefined) {
    if (!imageWantsGpu) return { count: 0 };
    return target === "k8s" ? { count: 1 } : { all: true };
  }
  if (text === "all") {
    if (target === "k8s") throw usage("Kubernetes cannot ask for all GPUs", "give a count: --gpus 1");
    return { all: true };
  }
  if (/^\d{1,3}$/.test(text)) return { count: Number(text) };
  const devices = /^device=([\w-]+(?:,[\w-]+)*)$/.exec(text);
  if (devices && target === "docker") return { devices: devices[1].split(",") };
  throw usage(
    `bad --gpus: ${text}`,
    target === "docker" ? "a count, all, or device=0,1" : "a count (or all, except for Kubernetes)",
  );
}

/** Kubernetes refuses a runAsUser or runAsGroup above this (it validates them as int32). */
const MAX_ID = 2147483647;

function parseUser(text: string): { uid: number; gid: number } {
  const m = /^(\d{1,10})(?::(\d{1,10}))?$/.exec(text);
  if (!m) throw usage(`--user must be numeric UID[:GID], not ${text}`);
  const uid = Number(m[1]);
  if (uid === 0) {
    throw new CudasealError("DEPLOY_USER_ROOT", "--user 0 runs the container as root", {
      hint: "give a non-root UID:GID, e.g. --user 65532:65532",
    });
  }
  const gid = m[2] === undefined ? uid : Number(m[2]);
  if (uid > MAX_ID || gid > MAX_ID)
    throw usage(`--user ${text} is out of range`, `UID and GID are at most ${MAX_ID}`);
  return { uid, gid };
}

/** Characters that docker's and Compose's `PATH:OPTIONS` mount strings split on. */
const MOUNT_SEPARATORS = /[:,]/;

/** A DNS-1123 label made of a path: `/home/app/.cache` → `home-app-cache`. */
function volumeName(path: string, taken: Set<string>): string {
  const base =
    path
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 50)
      .replace(/-+$/, "") || "root";
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
  taken.add(name);
  return name;
}

function defaultName(facts: RuntimeFacts): string {
  const title = facts.labels["org.opencontainers.image.title"] ?? "";
  const name = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  return DNS_LABEL.test(name) ? name : "app";
}

/** Plan a deployment of the image whose config gave `facts` and whose manifest digest is `digest`. */
export function planDeploy(facts: RuntimeFacts, digest: string, options: DeployPlanOptions): DeployPlan {
  if (!TARGETS.includes(options.target)) {
    throw usage(`unknown target: ${options.target}`, "use --target k8s, compose or docker");
  }
  const kind = options.kind ?? "Deployment";
  if (!KINDS.includes(kind)) throw usage(`unknown kind: ${kind}`, "use --kind Deployment, Job or Pod");
  const name = options.name ?? defaultName(facts);
  if (!DNS_LABEL.test(name)) {
    throw usage(
      `bad name: ${name}`,
      "a lower-case DNS label: letters, digits and '-', at most 63 characters",
    );
  }
  if (options.namespace !== undefined && !DNS_LABEL.test(options.namespace)) {
    throw usage(`bad namespace: ${options.namespace}`);
  }
  if (
    options.runtimeClass !== undefined &&
    !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(options.runtimeClass)
  ) {
    throw usage(`bad runtime class: ${options.runtimeClass}`);
  }
  const pin = options.digest ?? digest;
  if (!DIGEST.test(pin)) throw usage(`not a sha256 digest: ${pin}`, "--digest sha256:<64 hex digits>");
  const ref = options.imageRef ?? name;
  if (ref.includes("@"))
    throw usage(`--image-ref takes no digest: ${ref}`, "the digest comes from the image, or --digest");
  if (!REFERENCE.test(ref))
    throw usage(
      `bad image reference: ${ref}`,
      "e.g. registry.example/team/app or registry.example/team/app:1.0",
    );

  const { uid, gid } = options.user !== undefined ? parseUser(options.user) : imageUser(facts);
  const gpus = parseGpus(options.gpus, options.target, facts.gpu);
  const wantsGpu = !("count" in gpus) || gpus.count > 0;
  const notes: string[] = [];

  const taken = new Set<string>(["dshm"]);
  const mounts: PlannedMount[] = facts.writable
    // The working directory usually holds the application: a mount over it would hide it. Nor
    // does a runtime let a volume cover /, /proc, /sys or /dev (shared memory has its own mount).
    .filter((w) => w.reason !== "workdir" && w.path !== "/" && !/^\/(proc|sys|dev)(\/|$)/.test(w.path))
    .filter((w) => {
      // The path comes from the image: in `--tmpfs PATH:OPTIONS` a colon or comma would add mount options.
      if (!MOUNT_SEPARATORS.test(w.path)) return true;
      notes.push(
        `the image's writable path ${JSON.stringify(w.path)} has a colon or comma, which a mount cannot take: it gets no mount`,
      );
      return false;
    })
    .map((w) => {
      const m: PlannedMount = {
        name: volumeName(w.path, taken),
        path: w.path,
        reason: w.reason,
        kind: w.reason === "volume" || w.reason === "model-cache" ? "persistent" : "scratch",
      };
      if (w.from) m.from = w.from;
      return m;
    });
  if (facts.workdir && facts.workdir !== "/") {
    notes.push(
      `the working directory ${facts.workdir} stays read-only; if the application writes there, name it in the image's ${WRITABLE_LABEL} label`,
    );
  }
  if (options.target === "k8s" && mounts.some((m) => m.kind === "persistent")) {
    const list = mounts.filter((m) => m.kind === "persistent").map((m) => m.path);
    notes.push(
      `${list.join(", ")} get emptyDir volumes, emptied with the pod: replace them with PersistentVolumeClaims to keep their data`,
    );
  }
  if (!wantsGpu && facts.gpu)
    notes.push(
      "no GPU requested: NVIDIA_VISIBLE_DEVICES=void keeps a default nvidia runtime from exposing every GPU",
    );

  const plan: DeployPlan = {
    target: options.target,
    kind,
    name,
    image: `${ref}@${pin}`,
    digest: pin,
    uid,
    gid,
    gpus,
    mounts,
    ports: facts.ports,
    env: !wantsGpu && facts.gpu ? { NVIDIA_VISIBLE_DEVICES: "void" } : {},
    notes,
  };
  if (options.namespace) plan.namespace = options.namespace;
  if (options.runtimeClass) plan.runtimeClass = options.runtimeClass;
  const shm = options.shmSize ?? (wantsGpu ? "1Gi" : undefined);
  if (shm !== undefined) plan.shmBytes = parseSize(shm, "shared memory");
  if (options.memory !== undefined) plan.memoryBytes = parseSize(options.memory, "memory");
  if (options.cpu !== undefined) plan.milliCpu = parseCpu(options.cpu);
  if (plan.shmBytes !== undefined && plan.memoryBytes !== undefined && plan.shmBytes >= plan.memoryBytes) {
    notes.push("shared memory counts against the memory limit, and is as large as it");
  }
  return plan;
}

function imageUser(facts: RuntimeFacts): { uid: number; gid: number } {
  const u = facts.user;
  if (u.root) {
    throw new CudasealError(
      "DEPLOY_USER_ROOT",
      `the image runs as root (${u.raw === "" ? "no User set" : `User ${u.raw}`})`,
      {
        hint: "rebuild it with a non-root user (accounts.runAs: 65532:65532), or deploy with --user UID:GID",
        details: { user: u.raw },
      },
    );
  }
  if (!u.numeric || u.uid === undefined || u.gid === undefined) {
    throw new CudasealError(
      "DEPLOY_USER_NOT_NUMERIC",
      `the image runs as ${u.raw}, a name that runAsNonRoot cannot check`,
      {
        hint: "rebuild it with a numeric UID:GID, or deploy with --user UID:GID",
        details: { user: u.raw },
      },
    );
  }
  if (u.uid > MAX_ID || u.gid > MAX_ID) {
    throw new CudasealError("IMAGE_INVALID", `the image's User ${u.raw} is out of range for Kubernetes`, {
      hint: `deploy with --user UID:GID, each at most ${MAX_ID}`,
      details: { user: u.raw },
    });
  }
  return { uid: u.uid, gid: u.gid };
}
