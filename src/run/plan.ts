// A run, planned purely: from the image config, the user's options and what
// the host offers, the exact argv of `unshare` and of the launcher
// (native/cudaseal-launch.c documents its flags). Nothing here touches the
// machine, so every decision (user, environment, command, mounts) is tested
// without namespaces.

import { CudasealError } from "../errors.ts";
import type { GpuInjection } from "./gpu.ts";
import { NAMESPACES, type PrivilegeMode } from "./privileges.ts";
import type { Volume } from "./volumes.ts";

/** The runtime part of an OCI image config, as read (every field may be missing or odd). */
export interface ImageRuntime {
  User?: string;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
}

export interface PlanInput {
  config: ImageRuntime;
  /** The command after `--`; replaces Cmd (and, with `entrypoint: []`, nothing else). */
  command: string[];
  /** `--entrypoint`: replaces the image's Entrypoint ("" clears it). */
  entrypoint?: string;
  /** `-e K=V` (or `-e K`, taken from `hostEnv`). */
  env: string[];
  hostEnv?: Readonly<Record<string, string | undefined>>;
  /** `--user UID[:GID]`. */
  user?: string;
  /** `--workdir`. */
  workdir?: string;
  /** The user names of the image's /etc/passwd and /etc/group, for a User that is not numeric. */
  passwd?: ReadonlyMap<string, { uid: number; gid: number }>;
  groups?: ReadonlyMap<string, number>;
  readOnly: boolean;
  /** `-v` volumes, already checked (volumes.ts). */
  volumes?: readonly Volume[];
  /** The launcher's seccomp filter (native/cudaseal-launch.c); false is docker's seccomp=unconfined. */
  seccomp: boolean;
  network: "host" | "none";
  shmBytes: number;
  /** 0: no limit beyond the kernel's half of memory. */
  tmpBytes: number;
  mode: PrivilegeMode;
  gpu?: GpuInjection;
  paths: { launcher: string; rootfs: string; upper: string; work: string; merged: string };
  unshare?: string;
}

export interface RunPlan {
  /** The program and its arguments: unshare, then the launcher and its flags. */
  argv: string[];
  uid: number;
  gid: number;
  env: string[];
  command: string[];
  cwd: string;
}

/** Plan a run; USAGE or RUN_NO_COMMAND when the image and options do not make one. */
export function planRun(input: PlanInput): RunPlan {
  const { uid, gid } = resolveUser(input.user ?? input.config.User ?? "", input.passwd, input.groups);
  const env = mergeEnv(input.config.Env ?? [], input.env, input.hostEnv ?? {});
  const command = commandOf(input);
  const cwd = input.workdir ?? (input.config.WorkingDir || "/");
  if (!cwd.startsWith("/")) {
    throw new CudasealError("USAGE", `the working directory must be absolute: ${cwd}`);
  }
  const launcher = launcherArgv(input, { uid, gid, env, command, cwd });
  return { argv: [...unshareArgv(input), "--", ...launcher], uid, gid, env, command, cwd };
}

/** The image's Entrypoint and Cmd, as `--entrypoint` and the command after `--` replace them. */
function commandOf(input: PlanInput): string[] {
  const entrypoint =
    input.entrypoint === undefined
      ? strings(input.config.Entrypoint)
      : input.entrypoint === ""
        ? []
        : [input.entrypoint];
  // As docker does: a new entrypoint drops the image's Cmd too.
  const cmd =
    input.command.length > 0
      ? input.command
      : input.entrypoint === undefined
        ? strings(input.config.Cmd)
        : [];
  const command = [...entrypoint, ...cmd];
  if (command.length === 0) {
    throw new CudasealError(
      "RUN_NO_COMMAND",
      "the image has no Entrypoint or Cmd, and no command was given",
      {
        hint: "name one after --: cudaseal run IMAGE -- /usr/bin/program ARGS",
      },
    );
  }
  return command;
}

/** `unshare` and its flags: the namespaces the container gets. */
function unshareArgv(input: PlanInput): string[] {
  // As docker's default: mount, PID, UTS, IPC and cgroup namespaces of the container's own.
  const unshare = [input.unshare ?? "unshare", ...NAMESPACES, "--fork", "--kill-child=SIGKILL"];
  if (input.mode === "userns") unshare.push("--user", "--map-root-user");
  if (input.network === "none") unshare.push("--net");
  return unshare;
}

/** The launcher and its flags: the overlay, the mounts, the limits, then who runs what, where. */
function launcherArgv(input: PlanInput, run: Omit<RunPlan, "argv">): string[] {
  const p = input.paths;
  const launcher = [
    p.launcher,
    "--lower",
    p.rootfs,
    "--upper",
    p.upper,
    "--work",
    p.work,
    "--merged",
    p.merged,
  ];
  for (const dir of [p.rootfs, p.upper, p.work]) {
    // overlayfs splits its options on commas and lowerdir on colons.
    if (/[,:\\]/.test(dir)) {
      throw new CudasealError(
        "USAGE",
        `the directory ${dir} has a comma, colon or backslash, which overlayfs cannot take`,
        {
          hint: "choose a --cache-dir (and TMPDIR) without them",
        },
      );
    }
  }
  launcher.push("--readonly", input.readOnly ? "1" : "0");
  launcher.push("--seccomp", input.seccomp ? "1" : "0");
  // Raw sockets only in a network namespace of the container's own: on the host's they see its traffic.
  launcher.push("--net-raw", input.network === "none" ? "1" : "0");
  for (const v of input.volumes ?? [])
    launcher.push(v.readOnly ? "--volume-ro" : "--volume", v.source, v.target);
  launcher.push("--shm", String(input.shmBytes), "--tmp", String(input.tmpBytes));
  for (const d of input.gpu?.devices ?? []) launcher.push("--dev", d.source, d.target);
  for (const f of input.gpu?.files ?? []) launcher.push("--ro-bind", f.source, f.target);
  // In a user namespace only the caller's own uid exists (as 0): the image's user cannot be taken.
  if (input.mode === "root") launcher.push("--uid", String(run.uid), "--gid", String(run.gid));
  launcher.push("--cwd", run.cwd);
  for (const e of run.env) launcher.push("--env", e);
  launcher.push("--", ...run.command);
  // exec(2) takes C strings: a NUL in the image's Env, Cmd or WorkingDir cannot be passed on.
  const nul = launcher.find((arg) => arg.includes("\0"));
  if (nul !== undefined) {
    throw new CudasealError("IMAGE_INVALID", `the image's config holds a NUL byte: ${JSON.stringify(nul)}`, {
      hint: "an environment variable, argument or working directory cannot contain NUL; fix the image",
    });
  }
  return launcher;
}

/** `UID[:GID]` or names from the image's passwd and group; unset or empty is root, as runtimes do. */
export function resolveUser(
  user: string,
  passwd?: ReadonlyMap<string, { uid: number; gid: number }>,
  groups?: ReadonlyMap<string, number>,
): { uid: number; gid: number } {
  if (user === "") return { uid: 0, gid: 0 };
  const [u, g] = user.split(":", 2);
  let uid: number;
  let gid: number | undefined;
  if (/^\d+$/.test(u)) {
    uid = Number(u);
    gid = [...(passwd?.values() ?? [])].find((e) => e.uid === uid)?.gid;
  } else {
    const entry = passwd?.get(u);
    if (entry === undefined) {
      throw new CudasealError("IMAGE_INVALID", `the image's user ${u} is not in its /etc/passwd`, {
        hint: "give a numeric user: --user 65532:65532",
      });
    }
    uid = entry.uid;
    gid = entry.gid;
  }
  if (g !== undefined && g !== "") {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      gid = groups?.get(g);
      if (gid === undefined) {
        throw new CudasealError("IMAGE_INVALID", `the image's group ${g} is not in its /etc/group`, {
          hint: "give a numeric group: --user 65532:65532",
        });
      }
    }
  }
  if (uid > 0xfffffffe || (gid ?? 0) > 0xfffffffe)
    throw new CudasealError("USAGE", `user ${user} is out of range`);
  return { uid, gid: gid ?? uid };
}

/** The image's Env, then -e in order (a later name wins); `-e K` copies K from the host, if set. */
export function mergeEnv(
  image: readonly string[],
  overrides: readonly string[],
  hostEnv: Readonly<Record<string, string | undefined>>,
): string[] {
  const env = new Map<string, string>();
  const put = (entry: string) => {
    const eq = entry.indexOf("=");
    if (eq <= 0) return;
    env.set(entry.slice(0, eq), entry.slice(eq + 1));
  };
  for (const e of image) if (typeof e === "string") put(e);
  for (const e of overrides) {
    if (e.includes("=")) {
      if (e.startsWith("=")) throw new CudasealError("USAGE", `-e ${e} has no name`);
      put(e);
    } else if (hostEnv[e] !== undefined) {
      env.set(e, hostEnv[e] as string);
    }
  }
  if (!env.has("PATH")) env.set("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  return [...env].map(([k, v]) => `${k}=${v}`);
}

/** The image's env as a map, for NVIDIA_* lookups. */
export function envMap(env: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env) {
    const eq = e.indexOf("=");
    if (eq > 0) out[e.slice(0, eq)] = e.slice(eq + 1);
  }
  return out;
}

/** `64m`, `1g`, `1048576`, `512k` → bytes. */
export function parseSize(value: string, flag: string): number {
  const m = /^(\d+)([bkmg]?)b?$/i.exec(value.trim());
  if (!m)
    throw new CudasealError("USAGE", `${flag} ${value} is not a size`, {
      hint: `e.g. ${flag} 1g or ${flag} 512m`,
    });
  const unit = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[
    m[2].toLowerCase() as "" | "b" | "k" | "m" | "g"
  ];
  return Number(m[1]) * unit;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((s): s is string => typeof s === "string") : [];
}
