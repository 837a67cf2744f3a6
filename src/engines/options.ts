// What `catalog emit` is told, checked once: every value here ends up in a
// YAML file that a cluster or GitHub runs, so each is held to the syntax its
// engine accepts before anything is written.

import { CudasealError } from "../errors.ts";

export type Engine = "argo" | "github-actions" | "k8s-jobs";
export const ENGINES: readonly Engine[] = ["argo", "github-actions", "k8s-jobs"];

export interface EmitOptions {
  engine: Engine;
  /** The worker image: cudaseal on PATH (and the catalog at `catalogDir`, unless Argo fetches it from git). */
  image: string;
  /** Name of the WorkflowTemplate, CronWorkflow, Jobs or workflow (DNS label). Default `cudaseal-catalog`. */
  name?: string;
  /** metadata.namespace of what Argo and k8s-jobs write. */
  namespace?: string;
  /** Cron schedule, five fields. Default nightly, `0 3 * * *` (UTC). */
  schedule?: string;
  /** The registry credentials: a Kubernetes Secret of type dockerconfigjson, or the GitHub secret holding a docker config.json. */
  registrySecret?: string;
  /** `UID[:GID]` the worker runs as (Argo, k8s-jobs). Default 65532:65532. */
  user?: string;
  /** Where the catalog's directory is inside the worker image (Argo without git, k8s-jobs). Default `/catalog`. */
  catalogDir?: string;
  /** Argo: fetch the catalog as a git artifact from this repository instead of reading it from the image. */
  gitRepo?: string;
  /** Argo: the revision to check out (a commit, to match the plan's keys). Default `HEAD`. */
  gitRevision?: string;
  /** Argo: how long a memoized unit stays done (Go duration). Default `168h`. */
  memoMaxAge?: string;
  /** Argo: the service account of the executor's own containers; the worker gets no token. Default `default`. */
  serviceAccount?: string;
  /** GitHub Actions: the runner label. Default `ubuntu-24.04`. */
  runsOn?: string;
  /** How many units run at once (Argo `parallelism`, Job `parallelism`, matrix `max-parallel`). */
  parallelism?: number;
  /** Leave out units the plan marks done (the registry already holds their output). */
  skipDone?: boolean;
}

/** The options with every default filled in. */
export type ResolvedEmitOptions = Required<Omit<EmitOptions, "namespace" | "gitRepo" | "parallelism">> &
  Pick<EmitOptions, "namespace" | "gitRepo" | "parallelism"> & { uid: number; gid: number };

export const DEFAULT_NAME = "cudaseal-catalog";
export const DEFAULT_SCHEDULE = "0 3 * * *";
export const DEFAULT_K8S_SECRET = "cudaseal-registry";
export const DEFAULT_GITHUB_SECRET = "CUDASEAL_REGISTRY_AUTH";
const DEFAULT_UID = 65532;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const GITHUB_SECRET = /^(?!GITHUB_)[A-Za-z_][A-Za-z0-9_]{0,99}$/;
// An image reference as registries spell it: no spaces, quotes or shell syntax.
const IMAGE =
  /^[A-Za-z0-9][A-Za-z0-9._-]*(?::\d+)?(?:\/[a-z0-9][a-z0-9._-]*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$/;
const CRON_FIELD =
  /^(?:\*|[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?)(?:\/\d+)?(?:,(?:\*|[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?)(?:\/\d+)?)*$/;
const GO_DURATION = /^(?:\d+(?:\.\d+)?(?:h|m|s|ms))+$/;
const RUNNER_LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const ABSOLUTE_DIR = /^\/(?:[A-Za-z0-9._-]+\/?)*$/;
const GIT_REVISION = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/;

function usage(message: string, hint: string): CudasealError {
  return new CudasealError("USAGE", message, { hint });
}

function check(value: string, pattern: RegExp, what: string, hint: string): string {
  if (!pattern.test(value) || value.includes(".."))
    throw usage(`bad ${what}: ${JSON.stringify(value)}`, hint);
  return value;
}

function parseUser(text: string): { uid: number; gid: number } {
  const m = /^(\d{1,10})(?::(\d{1,10}))?$/.exec(text);
  const uid = m ? Number(m[1]) : Number.NaN;
  const gid = m?.[2] === undefined ? uid : Number(m[2]);
  if (!(uid > 0 && uid <= 2 ** 31 - 1 && gid >= 0 && gid <= 2 ** 31 - 1)) {
    throw usage(`bad --user ${text}: a worker runs as a numeric non-root UID[:GID]`, "--user 65532:65532");
  }
  return { uid, gid };
}

/** Check the options against what their engine accepts and fill in the defaults. */
export function resolveEmitOptions(options: EmitOptions): ResolvedEmitOptions {
  if (!ENGINES.includes(options.engine)) {
    throw usage(`unknown engine ${JSON.stringify(options.engine)}`, `--engine ${ENGINES.join(", ")}`);
  }
  const github = options.engine === "github-actions";
  const image = check(
    options.image,
    IMAGE,
    "--image",
    "the worker image, e.g. registry.example/team/cudaseal:0.1.0",
  );
  const name = check(
    options.name ?? DEFAULT_NAME,
    DNS_LABEL,
    "--name",
    "a DNS label of at most 40 characters",
  );
  // Job names get `-l<level>-<hash>` appended and must stay a DNS label.
  if (name.length > 40) throw usage(`--name ${name} is longer than 40 characters`, "a shorter --name");
  const namespace =
    options.namespace === undefined
      ? undefined
      : check(options.namespace, DNS_LABEL, "--namespace", "a Kubernetes namespace name");
  const schedule = options.schedule ?? DEFAULT_SCHEDULE;
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 5 || !fields.every((f) => CRON_FIELD.test(f))) {
    throw usage(
      `bad --schedule ${JSON.stringify(schedule)}: five cron fields`,
      '--schedule "0 3 * * *" (03:00 UTC)',
    );
  }
  const registrySecret = github
    ? check(
        options.registrySecret ?? DEFAULT_GITHUB_SECRET,
        GITHUB_SECRET,
        "--registry-secret",
        "a GitHub secret name, e.g. CUDASEAL_REGISTRY_AUTH",
      )
    : check(
        options.registrySecret ?? DEFAULT_K8S_SECRET,
        DNS_SUBDOMAIN,
        "--registry-secret",
        "a Kubernetes Secret name, e.g. cudaseal-registry",
      );
  const { uid, gid } = parseUser(options.user ?? `${DEFAULT_UID}:${DEFAULT_UID}`);
  const catalogDir = check(
    options.catalogDir ?? "/catalog",
    ABSOLUTE_DIR,
    "--catalog-dir",
    "an absolute path, e.g. /catalog",
  );
  if (options.gitRepo !== undefined && options.engine !== "argo") {
    throw usage(
      "--git-repo is for --engine argo",
      "k8s-jobs reads the catalog from the worker image; GitHub Actions checks out the repository",
    );
  }
  const gitRepo =
    options.gitRepo === undefined
      ? undefined
      : check(
          options.gitRepo,
          /^(?:https:\/\/|ssh:\/\/|git@)[A-Za-z0-9@:._/~-]+$/,
          "--git-repo",
          "https://git.example/team/catalog.git",
        );
  const gitRevision = check(
    options.gitRevision ?? "HEAD",
    GIT_REVISION,
    "--git-revision",
    "a commit SHA or branch",
  );
  const memoMaxAge = check(
    options.memoMaxAge ?? "168h",
    GO_DURATION,
    "--memo-max-age",
    "a duration such as 24h or 168h",
  );
  const serviceAccount = check(
    options.serviceAccount ?? "default",
    DNS_SUBDOMAIN,
    "--service-account",
    "a service account name",
  );
  const runsOn = check(
    options.runsOn ?? "ubuntu-24.04",
    RUNNER_LABEL,
    "--runs-on",
    "a runner label, e.g. ubuntu-24.04",
  );
  if (
    options.parallelism !== undefined &&
    !(Number.isInteger(options.parallelism) && options.parallelism >= 1 && options.parallelism <= 10000)
  ) {
    throw usage(`bad --parallelism ${options.parallelism}`, "a whole number from 1");
  }
  return {
    engine: options.engine,
    image,
    name,
    namespace,
    schedule: fields.join(" "),
    registrySecret,
    user: `${uid}:${gid}`,
    uid,
    gid,
    catalogDir: catalogDir.length > 1 ? catalogDir.replace(/\/$/, "") : catalogDir,
    gitRepo,
    gitRevision,
    memoMaxAge,
    serviceAccount,
    runsOn,
    parallelism: options.parallelism,
    skipDone: options.skipDone ?? false,
  };
}
