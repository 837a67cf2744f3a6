// `cudaseal run`: one image, one command, no daemon. The stages, in order:
//   open      the image (src/source), for the host's architecture or --arch
//   privilege root, or an unprivileged user namespace, or RUN_NO_PRIVILEGES
//   gpu       with --gpus: the host driver's files and nodes, and the image's
//             NVIDIA_REQUIRE_CUDA checked against the driver (RUN_DRIVER_TOO_OLD)
//   unpack    its layers into the rootfs cache, once per manifest digest
//   launcher  native/cudaseal-launch.c, compiled static into the cache
//   plan      the argv (plan.ts), purely
//   start     `unshare … -- cudaseal-launch …` in a fresh temporary directory
//             (the overlay's upper and work directories), signals forwarded,
//             the directory removed whatever happens
// The container's exit status is the result.

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { lstat, mkdir, mkdtemp, readFile } from "node:fs/promises";
import { constants, tmpdir } from "node:os";
import { join } from "node:path";
import { defaultCacheDir } from "../cache/dirs.ts";
import { CudasealError, inStage } from "../errors.ts";
import { checkDriver } from "../image/cuda-compat.ts";
import { staticBinary } from "../native/static-binary.ts";
import { openImage } from "../source/image-source.ts";
import { findGpuInjection, type GpuInjection, type GpuRequest } from "./gpu.ts";
import { envMap, type ImageRuntime, mergeEnv, planRun } from "./plan.ts";
import { type PrivilegeMode, privilegeMode } from "./privileges.ts";
import { removeTree, unpackImage } from "./unpack.ts";
import type { Volume } from "./volumes.ts";

export interface RunOptions {
  /** The command after `--`, replacing the image's Cmd. */
  command?: string[];
  entrypoint?: string;
  env?: string[];
  user?: string;
  workdir?: string;
  arch?: string;
  gpus?: GpuRequest;
  /** Default true: the root file system is read-only; /tmp and /dev/shm are tmpfs. */
  readOnly?: boolean;
  /** Host files and folders bound into the container (`-v`, parsed by parseVolume). */
  volumes?: Volume[];
  /** Default true: the workload runs under the launcher's seccomp filter. */
  seccomp?: boolean;
  network?: "host" | "none";
  /** Default 64 MiB, as docker's. */
  shmBytes?: number;
  tmpBytes?: number;
  /** The host's driver tree (default `/`; `$CUDASEAL_DRIVER_ROOT`). */
  driverRoot?: string;
  cacheDir?: string;
  /** Where the per-run directory is made (default: the OS's temporary directory). */
  tmpDir?: string;
  /** How long after a forwarded SIGINT or SIGTERM the container is killed outright. */
  stopTimeoutMs?: number;
  /** The container's stdin, stdout and stderr (default: this process's). */
  stdio?: "inherit" | "ignore";
  /** Also keep the last this many bytes of the container's stdout (still passed on), in RunResult.stdout. */
  captureStdout?: number;
  /** Called with notes for stderr (a library never prints). */
  onNote?: (text: string) => void;
  /** Test seams. */
  privilege?: PrivilegeMode;
  unshare?: string;
}

export interface RunResult {
  exitCode: number;
  manifestDigest: string;
  /** The image's os/architecture. */
  platform: string;
  rootfs: string;
  gpu?: GpuInjection;
  /** With captureStdout: the end of what the container wrote to stdout. */
  stdout?: Buffer;
  /** When the container was started and when it exited. */
  startedAt: Date;
  finishedAt: Date;
}

const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"] as const;

/** Run `ref`'s command in a fresh container and resolve with its exit status. */
export async function runImage(ref: string, options: RunOptions = {}): Promise<RunResult> {
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const note = options.onNote ?? (() => {});
  // Until the container starts, Ctrl-C stops the preparation (an unpack can take minutes).
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  for (const s of ["SIGINT", "SIGTERM"] as const) process.on(s, interrupt);
  try {
    return await prepareAndRun(ref, options, cacheDir, note, controller.signal, () => {
      for (const s of ["SIGINT", "SIGTERM"] as const) process.removeListener(s, interrupt);
    });
  } finally {
    for (const s of ["SIGINT", "SIGTERM"] as const) process.removeListener(s, interrupt);
  }
}

async function prepareAndRun(
  ref: string,
  options: RunOptions,
  cacheDir: string,
  note: (text: string) => void,
  signal: AbortSignal,
  started: () => void,
): Promise<RunResult> {
  const image = await stage("open", () => openImage(ref, { arch: options.arch }));
  const config = (image.config.config ?? {}) as ImageRuntime;
  const arch = String(image.config.architecture ?? "amd64");
  const mode =
    options.privilege ?? (await stage("privilege", () => privilegeMode({ unshare: options.unshare })));
  if (mode === "userns") {
    note(
      "not root: running in a user namespace as your own user (root inside); the image's user is not applied",
    );
  }

  const env = mergeEnv(config.Env ?? [], options.env ?? [], process.env);
  let gpu: GpuInjection | undefined;
  if (options.gpus !== undefined) {
    const request = options.gpus;
    gpu = await stage("gpu", () =>
      findGpuInjection({ request, arch, env: envMap(env), driverRoot: options.driverRoot }),
    );
    checkRequirement(envMap(env), gpu.driverVersion);
    note(`driver ${gpu.driverVersion}: ${gpu.devices.length} device nodes, ${gpu.files.length} driver files`);
  }

  const { rootfs, cached } = await stage("unpack", () => unpackImage(image, { cacheDir, signal }));
  note(cached ? `rootfs ${rootfs} (cached)` : `unpacked ${image.manifestDigest} into ${rootfs}`);
  const launcher = await stage("launcher", () => staticBinary("cudaseal-launch", { cacheDir }));
  const passwd = await readImageTable(rootfs, "etc/passwd");
  const group = await readImageTable(rootfs, "etc/group");
  const runDir = await mkdtemp(join(options.tmpDir ?? tmpdir(), "cudaseal-run-"));
  try {
    const paths = {
      launcher,
      rootfs,
      upper: join(runDir, "upper"),
      work: join(runDir, "work"),
      merged: join(runDir, "merged"),
    };
    for (const dir of [paths.upper, paths.work, paths.merged]) await mkdir(dir);
    const plan = planRun({
      config,
      command: options.command ?? [],
      entrypoint: options.entrypoint,
      env: options.env ?? [],
      hostEnv: process.env,
      user: options.user,
      workdir: options.workdir,
      passwd: new Map(passwd.map((f) => [f[0], { uid: Number(f[2]), gid: Number(f[3]) }])),
      groups: new Map(group.map((f) => [f[0], Number(f[2])])),
      readOnly: options.readOnly ?? true,
      seccomp: options.seccomp ?? true,
      volumes: options.volumes,
      network: options.network ?? "host",
      shmBytes: options.shmBytes ?? 64 * 1024 ** 2,
      tmpBytes: options.tmpBytes ?? 0,
      mode,
      gpu,
      paths,
      unshare: options.unshare,
    });
    if (signal.aborted)
      throw new CudasealError("RUN_INTERRUPTED", "interrupted before the container started");
    started();
    const startedAt = new Date();
    const captured = options.captureStdout === undefined ? undefined : new TailBuffer(options.captureStdout);
    const exitCode = await start(
      plan.argv,
      options.stopTimeoutMs ?? 10_000,
      options.stdio ?? "inherit",
      captured,
    );
    return {
      exitCode,
      manifestDigest: image.manifestDigest,
      platform: `${String(image.config.os ?? "linux")}/${arch}`,
      rootfs,
      ...(gpu ? { gpu } : {}),
      ...(captured ? { stdout: captured.bytes() } : {}),
      startedAt,
      finishedAt: new Date(),
    };
  } finally {
    await removeTree(runDir);
  }
}

/** Refuse, as the NVIDIA Container Toolkit does, a driver older than the image's NVIDIA_REQUIRE_CUDA. */
function checkRequirement(env: Record<string, string>, driver: string): void {
  const requirement = env.NVIDIA_REQUIRE_CUDA;
  if (!requirement || env.NVIDIA_DISABLE_REQUIRE?.toLowerCase() === "true") return;
  const result = checkDriver(driver, requirement);
  if (result.ok && !result.viaMinorVersionCompat) return;
  throw new CudasealError(
    "RUN_DRIVER_TOO_OLD",
    `the host's NVIDIA driver cannot run this image: ${result.reason}`,
    {
      hint: result.minimum
        ? `upgrade the driver to ${result.minimum} or newer, or build the image for an older CUDA (or set -e NVIDIA_DISABLE_REQUIRE=true to try anyway)`
        : "upgrade the driver, or set -e NVIDIA_DISABLE_REQUIRE=true to try anyway",
      details: { driver, requirement, minimum: result.minimum },
    },
  );
}

/** The last `max` bytes written to it. */
class TailBuffer {
  #chunks: Buffer[] = [];
  #size = 0;
  readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  add(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    while (this.#size - this.#chunks[0].length >= this.max)
      this.#size -= (this.#chunks.shift() as Buffer).length;
  }
  bytes(): Buffer {
    const all = Buffer.concat(this.#chunks);
    return all.length > this.max ? all.subarray(all.length - this.max) : all;
  }
}

/** Spawn the argv with the terminal, forward signals to the launcher, resolve with the exit status. */
function start(
  argv: string[],
  stopTimeoutMs: number,
  stdio: "inherit" | "ignore",
  captured?: TailBuffer,
): Promise<number> {
  return new Promise((resolve, reject) => {
    // A session of its own: a terminal's ^C then reaches cudaseal alone, which
    // forwards it once. In the terminal's process group the workload got it
    // twice, straight from the terminal and again through the launcher.
    const child = spawn(argv[0], argv.slice(1), {
      stdio: captured === undefined ? stdio : [stdio, "pipe", stdio],
      detached: true,
    });
    // Captured output still reaches this process's stdout (the user sees it), and is kept.
    child.stdout?.on("data", (chunk: Buffer) => {
      captured?.add(chunk);
      if (stdio === "inherit") process.stdout.write(chunk);
    });
    let killTimer: NodeJS.Timeout | undefined;
    const forward = (signal: NodeJS.Signals) => {
      // unshare ignores signals; its child, the launcher (PID 1 inside), forwards them to the workload.
      const launcher = launcherPid(child.pid);
      try {
        if (launcher !== undefined) process.kill(launcher, signal);
        else child.kill("SIGKILL");
      } catch {
        // already gone
      }
      // --kill-child: unshare's death takes the whole namespace with it.
      killTimer ??= setTimeout(() => child.kill("SIGKILL"), stopTimeoutMs);
    };
    for (const s of FORWARDED) process.on(s, forward);
    const done = () => {
      for (const s of FORWARDED) process.removeListener(s, forward);
      if (killTimer) clearTimeout(killTimer);
    };
    child.once("error", (err) => {
      done();
      reject(
        new CudasealError("RUN_LAUNCH_FAILED", `cannot start ${argv[0]}: ${err.message}`, {
          hint: "cudaseal run needs util-linux's unshare (Debian: apt-get install util-linux)",
          cause: err,
        }),
      );
    });
    // "close": the exit status, once captured output has been read to its end.
    child.once(
      captured === undefined ? "exit" : "close",
      (code: number | null, signal: NodeJS.Signals | null) => {
        done();
        resolve(code ?? 128 + signalNumber(signal));
      },
    );
  });
}

/** The host pid of unshare's forked child, from /proc/PID/task/PID/children. */
function launcherPid(unshare: number | undefined): number | undefined {
  if (unshare === undefined) return undefined;
  try {
    const text = readFileSync(`/proc/${unshare}/task/${unshare}/children`, "utf8").trim();
    const pid = Number(text.split(/\s+/)[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  if (signal === null) return 0;
  return constants.signals[signal] ?? 0;
}

/**
 * The colon-separated lines of one of the image's account files. Read only
 * when it and /etc are real (a symlink could name a host file), capped.
 */
async function readImageTable(rootfs: string, path: string): Promise<string[][]> {
  for (const p of ["etc", path]) {
    const st = await lstat(join(rootfs, p)).catch(() => undefined);
    if (st === undefined || st.isSymbolicLink()) return [];
    if (p === path && (!st.isFile() || st.size > 4 << 20)) return [];
  }
  const text = await readFile(join(rootfs, path), "utf8");
  return text
    .split("\n")
    .map((l) => l.split(":"))
    .filter((f) => f.length >= 4 && /^\d+$/.test(f[2]) && (path.endsWith("group") || /^\d+$/.test(f[3])));
}

async function stage<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw inStage(name, err);
  }
}
