// Host limits GPU containers trip over: a small /dev/shm (PyTorch data
// loaders and NCCL share memory through it; too small is "Bus error"), the
// cgroup v2 memory and CPU limits of the cgroup doctor runs in, and user
// namespaces, which `cudaseal run` needs to start a container unprivileged.

import type { Host } from "../host/index.ts";
import { type Check, check } from "./check.ts";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

function size(bytes: number): string {
  return bytes >= GiB ? `${(bytes / GiB).toFixed(1)} GiB` : `${Math.round(bytes / MiB)} MiB`;
}

/** /dev/shm: fail under 64 MiB, warn under 1 GiB. */
export function shmCheck(host: Host): Check {
  const fix =
    "give the container more: docker run --shm-size 2g; in Kubernetes an emptyDir with medium Memory at /dev/shm (cudaseal deploy --shm-size 2Gi)";
  if (!host.isDirectory("/dev/shm")) return check("shm", "warn", "/dev/shm does not exist", fix);
  const bytes = host.fsBytes("/dev/shm");
  if (bytes === undefined) return check("shm", "skip", "could not statfs /dev/shm");
  if (bytes < 64 * MiB) {
    return check(
      "shm",
      "fail",
      `/dev/shm is ${size(bytes)}: NCCL and data loader workers fail (Bus error)`,
      fix,
    );
  }
  if (bytes < GiB) {
    return check(
      "shm",
      "warn",
      `/dev/shm is ${size(bytes)}: multi-worker data loading wants at least 1 GiB`,
      fix,
    );
  }
  return check("shm", "ok", `/dev/shm is ${size(bytes)}`);
}

/** The cgroup v2 path of this process, from /proc/self/cgroup's `0::/path` line. */
function ownCgroup(host: Host): string | undefined {
  const line = (host.read("/proc/self/cgroup") ?? "").split("\n").find((l) => l.startsWith("0::"));
  return line?.slice(3).trim();
}

/** memory.max and cpu.max of this process's cgroup (cgroup v2). */
export function cgroupCheck(host: Host): Check {
  const path = ownCgroup(host);
  if (path === undefined || !host.exists("/sys/fs/cgroup/cgroup.controllers")) {
    // cgroup v1 or hybrid: say what the v1 memory controller limits, if anything.
    const v1 = (host.read("/proc/self/cgroup") ?? "").split("\n").find((l) => /^\d+:memory:/.test(l));
    const limit = v1
      ? host.read(`/sys/fs/cgroup/memory${v1.split(":")[2]}/memory.limit_in_bytes`)?.trim()
      : undefined;
    const memory =
      limit && /^\d+$/.test(limit) && Number(limit) < 2 ** 62 ? `; memory limit ${size(Number(limit))}` : "";
    return check(
      "cgroup",
      "warn",
      `not on cgroup v2 (v1 or hybrid${memory}): rootless containers cannot be given memory or CPU limits`,
      "boot with systemd.unified_cgroup_hierarchy=1 (the default on current distributions)",
    );
  }
  const dir = `/sys/fs/cgroup${path === "/" ? "" : path}`;
  const memory = host.read(`${dir}/memory.max`)?.trim();
  const cpu = host.read(`${dir}/cpu.max`)?.trim();
  const parts: string[] = [];
  let low = false;
  if (memory === undefined || memory === "max") parts.push("memory: no limit");
  else if (/^\d+$/.test(memory)) {
    parts.push(`memory.max ${size(Number(memory))}`);
    low = Number(memory) < 2 * GiB;
  }
  if (cpu === undefined || cpu.startsWith("max")) parts.push("cpu: no limit");
  else {
    const [quota, period] = cpu.split(/\s+/).map(Number);
    if (quota > 0 && period > 0) parts.push(`cpu.max ${(quota / period).toFixed(2)} CPUs`);
  }
  const detail = `cgroup ${path}: ${parts.join(", ")}`;
  if (low) {
    return check(
      "cgroup",
      "warn",
      `${detail}: a CUDA process alone takes hundreds of MiB of host memory`,
      "raise the limit (systemd: MemoryMax=; Kubernetes: resources.limits.memory)",
    );
  }
  return check("cgroup", "ok", detail);
}

/** User namespaces: allowed at all, to unprivileged users, and not restricted by AppArmor. */
export function userNamespacesCheck(host: Host): Check {
  const max = host.read("/proc/sys/user/max_user_namespaces")?.trim();
  if (max === undefined) return check("userns", "skip", "cannot read /proc/sys/user/max_user_namespaces");
  if (max === "0") {
    return check(
      "userns",
      "warn",
      "user namespaces are disabled (max_user_namespaces = 0): cudaseal run needs them",
      "sudo sysctl -w user.max_user_namespaces=15000",
    );
  }
  if (host.read("/proc/sys/kernel/unprivileged_userns_clone")?.trim() === "0") {
    return check(
      "userns",
      "warn",
      "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0): cudaseal run needs them",
      "sudo sysctl -w kernel.unprivileged_userns_clone=1",
    );
  }
  if (host.read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")?.trim() === "1") {
    return check(
      "userns",
      "warn",
      "AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1)",
      "allow them for the runtime with an AppArmor profile, or sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0",
    );
  }
  return check("userns", "ok", `user namespaces available (max ${max})`);
}
