// `cudaseal run`: run an image's command in fresh namespaces, no daemon.

import { CudasealError } from "../../errors.ts";
import {
  parseGpuRequest,
  parseSize,
  parseVolume,
  type RunOptions,
  runImage,
  runSmoke,
} from "../../run/index.ts";
import { writeOutputFile } from "../../util/atomic-file.ts";
import { type Command, stringFlag } from "../command.ts";

export const runCommand: Command = {
  name: "run",
  help: `Usage: cudaseal run [options] IMAGE [-- COMMAND [ARG...]]

Unpacks IMAGE (oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:NAME:TAG])
once into the cache, then runs its Entrypoint and Cmd (or COMMAND) in new
mount, PID, UTS, IPC and cgroup namespaces, entered by pivot_root: read-only
root, docker's read-only and masked /proc and /sys paths, tmpfs /tmp and
/dev/shm, a minimal nodev /dev, as the image's user, docker's capability
set (less NET_RAW on the host's network), no new privileges and a seccomp filter
(keyrings, BPF, io_uring, namespaces, mounts…: docs/run.md lists what it
refuses). The exit status is the container's. Needs root, or unprivileged
user namespaces (then the command runs as your own user). docs/run.md says
how it works.

Options:
  --gpus all|N|device=I,J  inject the host NVIDIA driver's libraries and device
                           nodes, as the NVIDIA Container Toolkit does; refuses a
                           driver older than the image's NVIDIA_REQUIRE_CUDA
  -e, --env K=V            set a variable (-e K copies it from here), repeatable
  -v, --volume HOST:PATH[:ro]
                           bind a host file or folder at PATH (nosuid, nodev;
                           :ro read-only), repeatable
  -u, --user UID[:GID]     run as this user instead of the image's
  -w, --workdir DIR        working directory instead of the image's
  --entrypoint PROGRAM     replace the image's Entrypoint ("" clears it)
  --writable               a writable root (changes are thrown away at exit)
  --network host|none      host (default) or none: only a loopback device
  --security-opt seccomp=unconfined
                           no seccomp filter (profilers need perf_event_open)
  --shm-size SIZE          size of /dev/shm (default: 64m)
  --tmpfs-size SIZE        size limit of /tmp (default: half the memory)
  --arch ARCH              the platform of a multi-platform image (default: this host's)
  --driver-root DIR        where the host's driver files are (default: /;
                           $CUDASEAL_DRIVER_ROOT)
  --cache-dir DIR          where unpacked images are kept (default: ~/.cache/cudaseal)
  --smoke-report FILE      with --gpus, for an image whose program is the GPU smoke
                           program (examples/smoke-image.yaml): write what it found
                           (GPUs, host driver and branch, CUDA runtime, kernels run,
                           pass or fail) as a gpu-smoke report, even when it fails;
                           'cudaseal attest --type gpu-smoke --predicate FILE IMAGE'
                           signs it (docs/gpu.md)

The container's stdout and stderr are its own: --json makes only a failure to
start (a bad image, no privileges, a driver too old) a JSON error on stdout.

Examples:
  cudaseal run oci:out/cuda-smoke --gpus all
  cudaseal run oci:out/cuda-smoke --gpus all --smoke-report out/smoke.json
  cudaseal run oci:out/my-app --shm-size 1g -e HF_HOME=/tmp/hf -- /usr/bin/python3 -V
  cudaseal run oci:out/my-app --gpus all -v /srv/models:/models:ro -e HF_HOME=/models
  cudaseal run docker-archive:app.tar --network none --writable -- /bin/sh`,
  flags: {
    gpus: { type: "string" },
    env: { type: "string", short: "e", multiple: true },
    volume: { type: "string", short: "v", multiple: true },
    user: { type: "string", short: "u" },
    workdir: { type: "string", short: "w" },
    entrypoint: { type: "string" },
    writable: { type: "boolean" },
    network: { type: "string" },
    "security-opt": { type: "string", multiple: true },
    "shm-size": { type: "string" },
    "tmpfs-size": { type: "string" },
    arch: { type: "string" },
    "driver-root": { type: "string" },
    "cache-dir": { type: "string" },
    "smoke-report": { type: "string" },
  },
  async run(positionals, flags, out) {
    const [ref, ...command] = positionals;
    if (!ref) {
      throw new CudasealError("USAGE", "name the image to run", {
        hint: "cudaseal run oci:out/cuda-smoke --gpus all",
      });
    }
    const network = stringFlag(flags, "network") ?? "host";
    if (network !== "host" && network !== "none") {
      throw new CudasealError("USAGE", `--network ${network} is not supported`, { hint: "use host or none" });
    }
    const seccomp = seccompSetting(flags["security-opt"]);
    const volumes = (Array.isArray(flags.volume) ? flags.volume : []).map((v) => parseVolume(String(v)));
    const gpus = stringFlag(flags, "gpus");
    const shm = stringFlag(flags, "shm-size");
    const tmp = stringFlag(flags, "tmpfs-size");
    const env = flags.env;
    const options: RunOptions = {
      command,
      env: Array.isArray(env) ? env : typeof env === "string" ? [env] : [],
      user: stringFlag(flags, "user"),
      workdir: stringFlag(flags, "workdir"),
      entrypoint: stringFlag(flags, "entrypoint"),
      arch: stringFlag(flags, "arch"),
      readOnly: flags.writable !== true,
      seccomp,
      volumes,
      network,
      ...(gpus !== undefined ? { gpus: parseGpuRequest(gpus) } : {}),
      ...(shm !== undefined ? { shmBytes: parseSize(shm, "--shm-size") } : {}),
      ...(tmp !== undefined ? { tmpBytes: parseSize(tmp, "--tmpfs-size") } : {}),
      driverRoot: stringFlag(flags, "driver-root") ?? (process.env.CUDASEAL_DRIVER_ROOT || undefined),
      cacheDir: stringFlag(flags, "cache-dir"),
      onNote: (text: string) => out.note(text),
    };
    const reportPath = stringFlag(flags, "smoke-report");
    if (reportPath === undefined) return (await runImage(ref, options)).exitCode;
    const { run, report } = await runSmoke(ref, options);
    await writeOutputFile(reportPath, `${JSON.stringify(report, null, 2)}\n`);
    const gpu = report.gpus[0];
    out.note(
      `smoke report ${reportPath}: ${report.result}${gpu ? ` on ${gpu.name}` : ""}, driver ${report.driver.version}` +
        (report.error ? ` (${report.error.code})` : ""),
    );
    return run.exitCode;
  },
};

/** `--security-opt` as docker takes it; only the seccomp setting means anything here. */
function seccompSetting(values: unknown): boolean {
  const list = Array.isArray(values) ? values : typeof values === "string" ? [values] : [];
  let seccomp = true;
  for (const value of list) {
    const [key, setting] = String(value).split(/[=:]/, 2);
    if (key === "seccomp" && setting === "unconfined") seccomp = false;
    else if (key === "no-new-privileges" && (setting === undefined || setting === "true")) continue;
    else {
      throw new CudasealError("USAGE", `--security-opt ${String(value)} is not supported`, {
        hint: "cudaseal run takes seccomp=unconfined (its own filter is the default) and no-new-privileges, which is always on; custom seccomp profiles, AppArmor and SELinux labels are not read",
      });
    }
  }
  return seccomp;
}
